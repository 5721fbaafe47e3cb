using System.Security.Claims;
using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.Idempotency;
using Atlas.Api.Operations;
using Atlas.Api.RateLimiting;
using Atlas.Api.Validation;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Wallets;

/// <summary>The caller's own wallet under <c>/wallet</c>: top up, balance, movements.</summary>
public static class WalletApi
{
    /// <summary>Largest single top-up, in minor units (10 000.00).</summary>
    public const long MaxTopUpMinor = 1_000_000;

    private const int MaxPage = 500;

    public static IEndpointRouteBuilder MapWalletApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/wallet").WithTags("Wallet").RequireAuthorization(Policies.WalletOwner).RequireRateLimiting(RateLimitPolicies.PerCaller)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/topup", TopUp).WithIdempotency().WithName("TopUpWallet").WithSummary("Add money to the caller's wallet")
            .WithDescription("A reference (or else the Idempotency-Key) makes a retry return the first top-up; the same reference with another amount is a 409.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("", GetWallet).WithMetadata(new RouteLabel("/wallet")).WithName("GetWallet").WithSummary("The caller's balances");
        group.MapGet("/movements", GetMovements).WithName("GetWalletMovements").WithSummary("The caller's ledger movements, oldest first");
        return routes;
    }

    internal static async Task<Results<Ok<TopUpResult>, ValidationProblem>> TopUp(
        TopUpRequest request, ClaimsPrincipal user, IGrainFactory grains, HttpContext context)
    {
        var errors = new RequestErrors();
        var amount = errors.Amount("amount", request.Amount, MaxTopUpMinor);
        var currency = errors.CurrencyCode("currency", request.Currency);
        var reference = errors.OptionalId("reference", request.Reference);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        // Without a reference, the idempotency key (or else a fresh id) names the movement in the ledger.
        var key = context.Request.Headers[IdempotencyMiddleware.HeaderName].ToString();
        var ledgerReference = reference is not null ? $"topup:{reference}"
            : IdempotencyMiddleware.IsValidKey(key) ? $"topup:key:{key}"
            : $"topup:{Guid.NewGuid():N}";
        var wallet = grains.GetGrain<IWalletGrain>(WalletIds.ForUser(user.Caller().UserId));
        var movement = await wallet.TopUp(ledgerReference, new Money(amount, currency));
        var balance = await wallet.GetBalance();
        return TypedResults.Ok(new TopUpResult(MovementDetails.From(movement), WalletDetails.From(balance), movement.Replayed));
    }

    internal static async Task<Ok<WalletDetails>> GetWallet(ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(WalletDetails.From(await grains.GetGrain<IWalletGrain>(WalletIds.ForUser(user.Caller().UserId)).GetBalance()));

    internal static async Task<Results<Ok<MovementPage>, ValidationProblem>> GetMovements(
        [FromQuery(Name = "after_version")] string? afterVersion, [FromQuery] string? limit, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var after = errors.Long("after_version", afterVersion, 0, 0, long.MaxValue);
        var count = errors.Int("limit", limit, 50, 1, MaxPage);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var movements = await grains.GetGrain<IWalletGrain>(WalletIds.ForUser(user.Caller().UserId)).GetMovements(after, count);
        return TypedResults.Ok(new MovementPage(movements.Select(MovementDetails.From).ToArray(), movements.Count > 0 ? movements[^1].Version : after));
    }
}

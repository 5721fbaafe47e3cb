using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Drivers;
using Atlas.Api.Errors;
using Atlas.Api.RateLimiting;
using Atlas.Api.Rides;
using Atlas.Api.Validation;
using Atlas.Api.Wallets;
using Atlas.Grains.Drivers;
using Atlas.Grains.Markets;
using Atlas.Grains.Surge;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Wallets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Admin;

/// <summary>Read-only routes for operators under <c>/admin</c>: any ride, driver or wallet, and who is near a point.</summary>
public static class AdminApi
{
    /// <summary>Widest search radius (20 km): wider would fan out to hundreds of index shards.</summary>
    public const double MaxRadiusMeters = 20_000;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/admin").WithTags("Admin").RequireAuthorization(Policies.Admin).RequireRateLimiting(RateLimitPolicies.PerCaller)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/rides/{id}", GetRide).WithName("AdminGetRide").WithSummary("A ride with its offer and timeline")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/drivers/near", FindDrivers).WithName("AdminFindDrivers").WithSummary("Available drivers near a point, nearest first");
        group.MapGet("/surge", GetSurge).WithName("AdminGetSurge").WithSummary("The surge multiplier of a city's cell now, with the open requests and available drivers behind it");
        group.MapGet("/drivers/{id}", GetDriver).WithName("AdminGetDriver").WithSummary("A driver's profile and status")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/wallets/platform", GetPlatformWallet).WithName("AdminGetPlatformWallet").WithSummary("The platform's commission account");
        group.MapGet("/wallets/user/{id}", GetUserWallet).WithName("AdminGetUserWallet").WithSummary("A rider's or driver's wallet");
        group.MapGet("/figures", GetFigures).WithName("AdminGetFigures")
            .WithSummary("Rides by outcome, fares and revenue over the rides requested in [from, to), from the ride history projection")
            .ProducesProblem(StatusCodes.Status501NotImplemented);
        return routes;
    }

    internal static async Task<Results<Ok<AdminRideDetails>, ValidationProblem>> GetRide(string id, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var rideId = errors.Id("id", id);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        return TypedResults.Ok(AdminRideDetails.From(await grains.GetGrain<IOrderGrain>(rideId).Get()));
    }

    internal static async Task<Results<Ok<DriverDetails>, ValidationProblem>> GetDriver(string id, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var driverId = errors.Id("id", id);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        return TypedResults.Ok(DriverDetails.From(await grains.GetGrain<IDriverGrain>(driverId).GetSnapshot()));
    }

    internal static async Task<Results<Ok<NearbyDrivers>, ValidationProblem>> FindDrivers(
        [FromQuery] string? lat,
        [FromQuery] string? @long,
        [FromQuery(Name = "radius_m")] string? radiusMeters,
        [FromQuery(Name = "vehicle_type")] string? vehicleType,
        [FromQuery] string? city,
        [FromQuery] string? limit,
        IGrainFactory grains,
        IOptions<GeoIndexOptions> index,
        IOptions<DriverOptions> drivers,
        MarketCatalog markets,
        TimeProvider time)
    {
        var errors = new RequestErrors();
        var latitude = errors.QueryNumber("lat", lat, GeoPoint.MinLatitude, GeoPoint.MaxLatitude);
        var longitude = errors.QueryNumber("long", @long, GeoPoint.MinLongitude, GeoPoint.MaxLongitude);
        var radius = radiusMeters is null ? 5000 : errors.QueryNumber("radius_m", radiusMeters, 1, MaxRadiusMeters);
        var vehicle = errors.VehicleClass("vehicle_type", vehicleType, errors.City("city", city, markets));
        var count = errors.Int("limit", limit, 10, 1, 100);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var search = new DriverSearch(grains, index.Value);
        var found = await search.FindNearestAsync(new GeoPoint(latitude, longitude), vehicle!, count,
            time.GetUtcNow() - drivers.Value.FreshnessWindow, new RadiusSteps([radius]));
        return TypedResults.Ok(new NearbyDrivers(found.Select(n => new NearbyDriver(n.Id, Position.From(n.Location), Math.Round(n.DistanceMeters, 1), n.LastSeen)).ToArray()));
    }

    internal static async Task<Results<Ok<SurgeDetails>, ValidationProblem>> GetSurge(
        [FromQuery] string? lat, [FromQuery] string? @long, [FromQuery] string? city, IGrainFactory grains, IOptions<GeoIndexOptions> index, MarketCatalog markets)
    {
        var errors = new RequestErrors();
        var latitude = errors.QueryNumber("lat", lat, GeoPoint.MinLatitude, GeoPoint.MaxLatitude);
        var longitude = errors.QueryNumber("long", @long, GeoPoint.MinLongitude, GeoPoint.MaxLongitude);
        var market = errors.City("city", city, markets);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var cell = GeoCell.FromPoint(new GeoPoint(latitude, longitude), index.Value.CellSizeDegrees);
        var quote = await grains.GetGrain<ISurgeGrain>(SurgeCells.Key(market!.Name, cell)).Quote();
        return TypedResults.Ok(new SurgeDetails(market.Name, cell.Key, market.Surge.Enabled, SurgeMultiplier.FromBasisPoints(quote.MultiplierBasisPoints),
            quote.OpenRequests, quote.AvailableDrivers, market.Surge.Window, quote.At));
    }

    internal static async Task<Results<Ok<PlatformFiguresDetails>, ValidationProblem, ProblemHttpResult>> GetFigures(
        [FromQuery] string? from, [FromQuery] string? to, IServiceProvider services)
    {
        var errors = new RequestErrors();
        var since = errors.OptionalTime("from", from);
        var until = errors.OptionalTime("to", to);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        if (services.GetService<IRideHistoryReader>() is not { } history)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status501NotImplemented, title: "Not configured", type: "urn:atlas:problem:not-configured",
                detail: "Platform figures come from the ride history projection, which needs PostgreSQL and Redis " +
                        "(ConnectionStrings:Postgres and ConnectionStrings:Redis). /metrics has the running totals of this process.");
        }
        return TypedResults.Ok(PlatformFiguresDetails.From(await history.GetPlatformFiguresAsync(since, until)));
    }

    internal static async Task<Ok<WalletDetails>> GetPlatformWallet(IGrainFactory grains) =>
        TypedResults.Ok(WalletDetails.From(await grains.GetGrain<IWalletGrain>(WalletIds.Platform).GetBalance()));

    internal static async Task<Results<Ok<WalletDetails>, ValidationProblem>> GetUserWallet(string id, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var userId = errors.Id("id", id);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        return TypedResults.Ok(WalletDetails.From(await grains.GetGrain<IWalletGrain>(WalletIds.ForUser(userId)).GetBalance()));
    }
}

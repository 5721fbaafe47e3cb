using System.Security.Claims;
using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.Idempotency;
using Atlas.Api.RateLimiting;
using Atlas.Api.Validation;
using Atlas.Grains.Riders;
using Atlas.Grains.Rides;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Rides;

/// <summary>The rider's routes under <c>/customer</c>: order, request a driver, follow, cancel, history.</summary>
public static partial class CustomerApi
{
    private const int MaxHistory = 100;

    public static IEndpointRouteBuilder MapCustomerApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/customer").WithTags("Customer").RequireRateLimiting(RateLimitPolicies.PerCaller)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/order", CreateOrder).RequireAuthorization(Policies.Rider).WithIdempotency()
            .WithName("CreateOrder").WithSummary("Create an order with its fare estimate")
            .WithDescription("One open order per rider: while another is open this answers 409 with its id. Honours Idempotency-Key.")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/ride/request", RequestRide).RequireAuthorization(Policies.Rider).WithIdempotency()
            .WithName("RequestRide").WithSummary("Hold the fare on the wallet and look for a driver")
            .WithDescription("Uses order_id, or else the rider's open order, or else creates one. 402 when the wallet cannot cover the estimate plus margin. Honours Idempotency-Key.")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/order", GetOrder).RequireAuthorization(Policies.AnyRole)
            .WithName("GetOrder").WithSummary("Read an order (its rider, its driver, or an admin)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/order/{id}/cancel", CancelOrder).RequireAuthorization(Policies.Rider)
            .WithName("CancelOrder").WithSummary("Cancel an order before the trip starts")
            .WithDescription("After the driver arrived, the cancellation fee is charged.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/rides", GetRides).RequireAuthorization(Policies.Rider)
            .WithName("GetRiderRides").WithSummary("The rider's rides, newest first");
        return routes;
    }

    internal static async Task<Results<Ok<OrderCreated>, ValidationProblem, ProblemHttpResult>> CreateOrder(
        OrderRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var riderId = errors.Id("user_id", request.UserId);
        var pickup = errors.Point("pickup_lat", request.PickupLat, "pickup_long", request.PickupLong);
        var dropoff = errors.Point("dropoff_lat", request.DropoffLat, "dropoff_long", request.DropoffLong);
        var vehicle = errors.Vehicle("vehicle_type", request.VehicleType, VehicleType.Economy);
        var city = errors.OptionalText("city", request.City, 64);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        if (!user.Caller().Is(riderId))
        {
            return AccessProblems.NotYourself("user_id");
        }
        var ride = await grains.GetGrain<IRiderGrain>(riderId).CreateRide(new RideRequest(riderId, pickup, dropoff, vehicle, city));
        return TypedResults.Ok(new OrderCreated(ride.RideId, ride.Status.ToWireName(), ride.FareEstimate.Minor, ride.FareEstimate.Currency.Code,
            ride.VehicleType.ToWireName(), ride.City, ride.CreatedAt));
    }

    internal static async Task<Results<Ok<RideRequested>, ValidationProblem, ProblemHttpResult>> RequestRide(
        RideRequestBody request, ClaimsPrincipal user, IGrainFactory grains, ILoggerFactory loggers)
    {
        var errors = new RequestErrors();
        var riderId = errors.Id("passenger_id", request.PassengerId);
        var orderId = errors.OptionalId("order_id", request.OrderId);
        var vehicle = errors.Vehicle("vehicle_type", request.VehicleType, VehicleType.Economy);
        var city = errors.OptionalText("city", request.City, 64);
        // With an order the coordinates are the order's; without one they make the order.
        var hasCoordinates = request.PickupLat is not null || request.PickupLong is not null || request.DropoffLat is not null || request.DropoffLong is not null;
        var pickup = default(Grains.Geo.GeoPoint);
        var dropoff = default(Grains.Geo.GeoPoint);
        if (orderId is null || hasCoordinates)
        {
            pickup = errors.Point("pickup_lat", request.PickupLat, "pickup_long", request.PickupLong);
            dropoff = errors.Point("dropoff_lat", request.DropoffLat, "dropoff_long", request.DropoffLong);
        }
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var caller = user.Caller();
        if (!caller.Is(riderId))
        {
            return AccessProblems.NotYourself("passenger_id");
        }

        IOrderGrain order;
        if (orderId is not null)
        {
            order = grains.GetGrain<IOrderGrain>(orderId);
            if ((await order.Get()).RiderId != riderId)
            {
                return AccessProblems.NotYourRide(orderId);
            }
        }
        else
        {
            var rider = grains.GetGrain<IRiderGrain>(riderId);
            var openId = await rider.GetOpenRide();
            if (openId is null)
            {
                try
                {
                    openId = (await rider.CreateRide(new RideRequest(riderId, pickup, dropoff, vehicle, city))).RideId;
                }
                catch (RiderHasOpenRideException raced)
                {
                    openId = raced.OpenRideId; // a concurrent request created it first
                }
            }
            order = grains.GetGrain<IOrderGrain>(openId);
        }

        var ride = await order.RequestDriver();
        LogRequested(loggers.CreateLogger(typeof(CustomerApi)), ride.RideId, riderId, ride.Status.ToWireName());
        return TypedResults.Ok(new RideRequested(ride.RideId, ride.RideId, ride.Status.ToWireName(), ride.DriverId, ride.FareEstimate.Minor,
            ride.FareEstimate.Currency.Code, ride.HeldAmount?.Minor));
    }

    internal static async Task<Results<Ok<OrderDetails>, ValidationProblem, ProblemHttpResult>> GetOrder(
        [FromQuery] string? id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var rideId = errors.Id("id", id);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var ride = await grains.GetGrain<IOrderGrain>(rideId).Get();
        var caller = user.Caller();
        var allowed = caller.Role switch
        {
            Roles.Admin => true,
            Roles.Rider => caller.Is(ride.RiderId),
            Roles.Driver => ride.DriverId is { } driverId && caller.Is(driverId),
            _ => false,
        };
        return allowed ? TypedResults.Ok(OrderDetails.From(ride)) : AccessProblems.NotYourRide(rideId);
    }

    internal static async Task<Results<Ok<OrderDetails>, ValidationProblem>> CancelOrder(
        string id, [FromBody] CancelRequest? request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var rideId = errors.Id("id", id);
        var reason = errors.OptionalText("reason", request?.Reason, 500);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        // The ride checks that the caller is its rider (403 otherwise).
        var ride = await grains.GetGrain<IOrderGrain>(rideId).Cancel(RideActor.Rider, user.Caller().UserId, reason);
        return TypedResults.Ok(OrderDetails.From(ride));
    }

    internal static async Task<Results<Ok<RideHistory>, ValidationProblem>> GetRides(
        [FromQuery] string? limit, [FromQuery] string? after, ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services)
    {
        var errors = new RequestErrors();
        var count = errors.Int("limit", limit, 20, 1, MaxHistory);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var riderId = user.Caller().UserId;
        var rider = grains.GetGrain<IRiderGrain>(riderId);
        var open = await rider.GetOpenRide();
        if (await RideLookup.FromProjectionAsync(services, h => h.GetRiderRidesAsync(riderId, count, after), open) is { } page)
        {
            return TypedResults.Ok(page);
        }
        var ids = await rider.GetRideHistory(count);
        return TypedResults.Ok(new RideHistory(await RideLookup.SummariesAsync(grains, ids), open));
    }

    [LoggerMessage(LogLevel.Information, "Ride {RideId} requested by rider {RiderId}: {Status}")]
    private static partial void LogRequested(ILogger logger, string rideId, string riderId, string status);
}

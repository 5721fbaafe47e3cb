using System.Security.Claims;
using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.Idempotency;
using Atlas.Api.RateLimiting;
using Atlas.Api.Validation;
using Atlas.Grains.Markets;
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
            .WithDescription("vehicle_type: a class name or alias of the city (its default class when absent); payment_method: wallet or cash (the city's default when absent); " +
                             "city: the default city when absent. The price includes the surge multiplier shown (surge_multiplier), which the ride keeps. " +
                             "Unknown city, class or method: 400 naming the allowed values. One open order per rider: while another is open this answers 409 with its id. Honours Idempotency-Key.")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapPost("/ride/request", RequestRide).RequireAuthorization(Policies.Rider).WithIdempotency()
            .WithName("RequestRide").WithSummary("Look for a driver (holding the fare on the wallet for wallet rides)")
            .WithDescription("Uses order_id, or else the rider's open order, or else creates one. Wallet rides hold the estimate plus margin (402 when the wallet cannot); " +
                             "cash rides hold nothing. In a city with assign dispatch the answer is MATCHED with driver_id (or NO_DRIVER); with offer dispatch CREATED while offered. " +
                             "A vehicle_type or payment_method other than the order's is a 409. Honours Idempotency-Key.")
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
        OrderRequest request, ClaimsPrincipal user, IGrainFactory grains, MarketCatalog markets)
    {
        var errors = new RequestErrors();
        var riderId = errors.Id("user_id", request.UserId);
        var pickup = errors.Point("pickup_lat", request.PickupLat, "pickup_long", request.PickupLong);
        var dropoff = errors.Point("dropoff_lat", request.DropoffLat, "dropoff_long", request.DropoffLong);
        var city = errors.City("city", request.City, markets);
        var vehicle = errors.VehicleClass("vehicle_type", request.VehicleType, city);
        var payment = errors.PaymentMethod("payment_method", request.PaymentMethod, city);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        if (!user.Caller().Is(riderId))
        {
            return AccessProblems.NotYourself("user_id");
        }
        var ride = await grains.GetGrain<IRiderGrain>(riderId).CreateRide(new RideRequest(riderId, pickup, dropoff, vehicle, city!.Name, payment));
        return TypedResults.Ok(OrderCreated.From(ride));
    }

    internal static async Task<Results<Ok<RideRequested>, ValidationProblem, ProblemHttpResult>> RequestRide(
        RideRequestBody request, ClaimsPrincipal user, IGrainFactory grains, MarketCatalog markets, ILoggerFactory loggers)
    {
        var errors = new RequestErrors();
        var riderId = errors.Id("passenger_id", request.PassengerId);
        var orderId = errors.OptionalId("order_id", request.OrderId);
        var city = errors.City("city", request.City, markets);
        var vehicle = errors.VehicleClass("vehicle_type", request.VehicleType, city);
        var payment = errors.PaymentMethod("payment_method", request.PaymentMethod, city);
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
        var created = false;
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
                    openId = (await rider.CreateRide(new RideRequest(riderId, pickup, dropoff, vehicle, city!.Name, payment))).RideId;
                    created = true;
                }
                catch (RiderHasOpenRideException raced)
                {
                    openId = raced.OpenRideId; // a concurrent request created it first
                }
            }
            order = grains.GetGrain<IOrderGrain>(openId);
        }
        if (!created && await MismatchAsync(order, request, markets) is { } mismatch)
        {
            return mismatch;
        }

        var ride = await order.RequestDriver();
        LogRequested(loggers.CreateLogger(typeof(CustomerApi)), ride.RideId, riderId, ride.Status.ToWireName());
        return TypedResults.Ok(RideRequested.From(ride));
    }

    /// <summary>
    /// A request for an existing order that names another vehicle class or payment method than the order's: the order was
    /// priced for what it names, so the rider orders anew rather than being charged a price they were not shown.
    /// </summary>
    private static async Task<ProblemHttpResult?> MismatchAsync(IOrderGrain order, RideRequestBody request, MarketCatalog markets)
    {
        if (request.VehicleType is null && request.PaymentMethod is null)
        {
            return null;
        }
        var ride = await order.Get();
        if (!markets.TryGetCity(ride.City, out var city))
        {
            return null;
        }
        var errors = new RequestErrors();
        var vehicle = errors.VehicleClass("vehicle_type", request.VehicleType, city);
        var payment = errors.PaymentMethod("payment_method", request.PaymentMethod, city);
        if (request.VehicleType is not null && vehicle != ride.VehicleClass)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: ApiProblem.TypePrefix + "order-mismatch", title: "Not what the order is for",
                detail: $"Order {ride.RideId} is for vehicle class '{ride.VehicleClass}', not '{request.VehicleType}': create an order for that class (cancel this one first).",
                extensions: new Dictionary<string, object?> { ["order_id"] = ride.RideId, ["vehicle_type"] = ride.VehicleClass });
        }
        if (request.PaymentMethod is not null && payment != ride.PaymentMethod)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: ApiProblem.TypePrefix + "order-mismatch", title: "Not what the order is for",
                detail: $"Order {ride.RideId} is paid by {ride.PaymentMethod.ToWireName()}, not '{request.PaymentMethod}': create an order paid that way (cancel this one first).",
                extensions: new Dictionary<string, object?> { ["order_id"] = ride.RideId, ["payment_method"] = ride.PaymentMethod.ToWireName() });
        }
        return null;
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

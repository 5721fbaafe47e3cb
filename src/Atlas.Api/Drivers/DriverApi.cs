using System.Security.Claims;
using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.RateLimiting;
using Atlas.Api.Rides;
using Atlas.Api.Validation;
using Atlas.Grains.Drivers;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Drivers;

/// <summary>The driver's routes under <c>/driver</c>: location, registration, availability, offers, trip status, history.</summary>
public static partial class DriverApi
{
    private const int MaxHistory = 100;

    public static IEndpointRouteBuilder MapDriverApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/driver").WithTags("Driver").RequireAuthorization(Policies.Driver).RequireRateLimiting(RateLimitPolicies.PerCaller)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/location", UpdateLocation).RequireRateLimiting(RateLimitPolicies.LocationUpdates)
            .WithName("UpdateDriverLocation").WithSummary("Report the driver's position")
            .WithDescription("timestamp: RFC 3339 string, or unix time number (seconds below 1e11, milliseconds above); absent = now. " +
                             "A driver who never registered is registered by the first update (the default city's default vehicle class, name = id) and put online.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/profile", UpdateProfile).WithName("UpdateDriverProfile").WithSummary("Register the driver or change name, vehicle type, city")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/profile", GetProfile).WithName("GetDriverProfile").WithSummary("The driver's profile and status")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/online", GoOnline).WithName("DriverOnline").WithSummary("Available for offers")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/offline", GoOffline).WithName("DriverOffline").WithSummary("No more offers")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/order", GetCurrentOrder).WithName("GetDriverCurrentOrder").WithSummary("The ride the driver is on (matched, arrived or started), or 204")
            .WithDescription("In a city with assign dispatch this is how a driver learns the ride they were matched with.");
        group.MapGet("/offer", GetOffer).WithName("GetDriverOffer").WithSummary("The ride currently offered to the driver (204 if none)");
        group.MapPost("/offer/accept", AcceptOffer).WithName("AcceptOffer").WithSummary("Accept the offer: the ride is matched")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/offer/decline", DeclineOffer).WithName("DeclineOffer").WithSummary("Decline the offer: the ride moves on")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/order/status", UpdateOrderStatus).WithName("UpdateOrderStatus").WithSummary("ARRIVED, STARTED, FINISHED or CANCELLED by the ride's driver")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/rides", GetRides).WithName("GetDriverRides").WithSummary("The driver's finished and cancelled rides, newest first");
        return routes;
    }

    internal static async Task<Results<Ok<LocationAccepted>, ValidationProblem, ProblemHttpResult>> UpdateLocation(
        LocationUpdate request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time, ILoggerFactory loggers)
    {
        var caller = user.Caller();
        var errors = new RequestErrors();
        var driverId = errors.OptionalId("user_id", request.UserId) ?? caller.UserId;
        var position = errors.Point("latitude", request.Latitude, "longitude", request.Longitude);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        if (!caller.Is(driverId))
        {
            return AccessProblems.NotYourself("user_id");
        }
        var timestamp = request.Timestamp ?? time.GetUtcNow();
        var driver = grains.GetGrain<IDriverGrain>(driverId);
        try
        {
            await driver.UpdateLocation(position, timestamp);
        }
        catch (UnknownDriverException)
        {
            // The existing driver app never registers: its first position registers it and makes it available.
            await driver.Register(new DriverRegistration(driverId, VehicleClass: null));
            await driver.UpdateLocation(position, timestamp);
            await driver.GoOnline();
            LogRegisteredByLocation(loggers.CreateLogger(typeof(DriverApi)), driverId);
        }
        return TypedResults.Ok(new LocationAccepted(true));
    }

    internal static async Task<Results<Ok<DriverDetails>, ValidationProblem>> UpdateProfile(
        DriverProfileRequest request, ClaimsPrincipal user, IGrainFactory grains, MarketCatalog markets)
    {
        var errors = new RequestErrors();
        var name = errors.Text("name", request.Name, 100);
        var city = errors.City("city", request.City, markets);
        var vehicle = errors.VehicleClass("vehicle_type", request.VehicleType, city, required: true);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var driver = await grains.GetGrain<IDriverGrain>(user.Caller().UserId).Register(new DriverRegistration(name, vehicle, request.City is null ? null : city!.Name));
        return TypedResults.Ok(DriverDetails.From(driver));
    }

    internal static async Task<Ok<DriverDetails>> GetProfile(ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(DriverDetails.From(await grains.GetGrain<IDriverGrain>(user.Caller().UserId).GetSnapshot()));

    internal static async Task<Ok<DriverDetails>> GoOnline(ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(DriverDetails.From(await grains.GetGrain<IDriverGrain>(user.Caller().UserId).GoOnline()));

    internal static async Task<Ok<DriverDetails>> GoOffline(ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(DriverDetails.From(await grains.GetGrain<IDriverGrain>(user.Caller().UserId).GoOffline()));

    internal static async Task<Results<Ok<OrderDetails>, NoContent>> GetCurrentOrder(ClaimsPrincipal user, IGrainFactory grains)
    {
        var driverId = user.Caller().UserId;
        string? rideId;
        try
        {
            rideId = (await grains.GetGrain<IDriverGrain>(driverId).GetSnapshot()) is { Status: DriverStatus.OnTrip, RideId: { } current } ? current : null;
        }
        catch (UnknownDriverException)
        {
            rideId = null;
        }
        return rideId is null ? TypedResults.NoContent() : TypedResults.Ok(OrderDetails.From(await grains.GetGrain<IOrderGrain>(rideId).Get()));
    }

    internal static async Task<Results<Ok<OfferDetails>, NoContent>> GetOffer(ClaimsPrincipal user, IGrainFactory grains) =>
        await grains.GetGrain<IDriverGrain>(user.Caller().UserId).GetOffer() is { } offer
            ? TypedResults.Ok(OfferDetails.From(offer))
            : TypedResults.NoContent();

    internal static async Task<Results<Ok<OrderDetails>, ValidationProblem, ProblemHttpResult>> AcceptOffer(
        [FromBody] OfferAnswer? request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (rideId, problem) = await ResolveOfferAsync(request, user, grains);
        if (problem is not null)
        {
            return problem.Validation is { } validation ? validation : problem.Problem!;
        }
        var ride = await grains.GetGrain<IOrderGrain>(rideId!).AcceptOffer(user.Caller().UserId);
        return TypedResults.Ok(OrderDetails.From(ride));
    }

    internal static async Task<Results<Ok<OfferDeclined>, ValidationProblem, ProblemHttpResult>> DeclineOffer(
        [FromBody] OfferAnswer? request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (rideId, problem) = await ResolveOfferAsync(request, user, grains);
        if (problem is not null)
        {
            return problem.Validation is { } validation ? validation : problem.Problem!;
        }
        await grains.GetGrain<IOrderGrain>(rideId!).DeclineOffer(user.Caller().UserId);
        return TypedResults.Ok(new OfferDeclined(rideId!, true));
    }

    /// <summary>The ride named in the body, or the one the driver holds an offer of.</summary>
    private static async Task<(string? RideId, OfferProblem? Problem)> ResolveOfferAsync(OfferAnswer? request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var rideId = errors.OptionalId("order_id", request?.OrderId);
        if (errors.Any)
        {
            return (null, new OfferProblem(Problems.Validation(errors.ToDictionary()), null));
        }
        if (rideId is not null)
        {
            return (rideId, null);
        }
        var offer = await grains.GetGrain<IDriverGrain>(user.Caller().UserId).GetOffer();
        return offer is null
            ? (null, new OfferProblem(null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: ApiProblem.TypePrefix + "offer-not-found",
                title: "No such offer", detail: "You hold no offer right now.")))
            : (offer.RideId, null);
    }

    private sealed record OfferProblem(ValidationProblem? Validation, ProblemHttpResult? Problem);

    internal static async Task<Results<Ok<OrderStatusChanged>, ValidationProblem, ProblemHttpResult>> UpdateOrderStatus(
        OrderStatusUpdate request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var rideId = errors.Id("order_id", request.OrderId);
        var driverId = errors.OptionalId("driver_id", request.DriverId);
        var reason = errors.OptionalText("reason", request.Reason, 500);
        RideStatus status = default;
        if (request.Status is null)
        {
            errors.Add("status", "is required.");
        }
        else if (!RideStatuses.TryParse(request.Status, out status) || status is not (RideStatus.Arrived or RideStatus.Started or RideStatus.Finished or RideStatus.Cancelled))
        {
            errors.Add("status", "must be one of ARRIVED, STARTED, FINISHED, CANCELLED.");
        }
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var caller = user.Caller();
        if (driverId is not null && !caller.Is(driverId))
        {
            return AccessProblems.NotYourself("driver_id");
        }
        var order = grains.GetGrain<IOrderGrain>(rideId);
        // The ride refuses a driver who is not its own (403) and moves that are not allowed from its status (409).
        var ride = status switch
        {
            RideStatus.Arrived => await order.MarkArrived(caller.UserId),
            RideStatus.Started => await order.StartTrip(caller.UserId),
            RideStatus.Finished => await order.FinishTrip(caller.UserId),
            _ => await order.Cancel(RideActor.Driver, caller.UserId, reason),
        };
        return TypedResults.Ok(new OrderStatusChanged(ride.RideId, ride.Status.ToWireName(), ride.UpdatedAt, ride.FinalFare?.Minor, ride.Charged?.Minor,
            ride.FareEstimate.Currency.Code));
    }

    internal static async Task<Results<Ok<RideHistory>, ValidationProblem>> GetRides([FromQuery] string? limit, [FromQuery] string? after, ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services)
    {
        var errors = new RequestErrors();
        var count = errors.Int("limit", limit, 20, 1, MaxHistory);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var driverId = user.Caller().UserId;
        var driver = grains.GetGrain<IDriverGrain>(driverId);
        string? current = null;
        try
        {
            current = (await driver.GetSnapshot()).RideId;
        }
        catch (UnknownDriverException)
        {
            // never registered: no current ride, and the history is empty
        }
        if (await RideLookup.FromProjectionAsync(services, h => h.GetDriverRidesAsync(driverId, count, after), current) is { } page)
        {
            return TypedResults.Ok(page);
        }
        var ids = await driver.GetRideHistory(count);
        return TypedResults.Ok(new RideHistory(await RideLookup.SummariesAsync(grains, ids), current));
    }

    [LoggerMessage(LogLevel.Information, "Driver {DriverId} registered by its first location update (default vehicle class, online)")]
    private static partial void LogRegisteredByLocation(ILogger logger, string driverId);
}

using System.Text;
using System.Text.Json;
using Atlas.Api.Admin;
using Atlas.Api.Auth;
using Atlas.Api.Drivers;
using Atlas.Api.Errors;
using Atlas.Api.Json;
using Atlas.Api.RateLimiting;
using Atlas.Api.Rides;
using Atlas.Api.Validation;
using Atlas.Grains.Drivers;
using Atlas.Grains.Rides;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Orleans;

namespace Atlas.Api.Console;

/// <summary>
/// The dispatcher console under <c>/console</c>: the page and its script and style (anonymous: they hold no data and
/// show a sign-in form), and its data under <c>/console/api</c> for admins and dispatchers — a snapshot of the
/// <see cref="LiveCity"/>, its changes as server-sent events, and ride and driver timelines.
/// </summary>
public static class ConsoleApi
{
    private const int MaxSearchHits = 10;
    private const int DriverRides = 20;
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder routes)
    {
        var page = routes.MapGroup("/console").WithTags("Console").AllowAnonymous().ExcludeFromDescription();
        page.MapGet("", () => ConsoleAssets.Serve("index.html"));
        page.MapGet("/assets/{name}", (string name) => ConsoleAssets.Serve(name));

        var api = routes.MapGroup("/console/api").WithTags("Console").RequireAuthorization(Policies.Console).RequireRateLimiting(RateLimitPolicies.PerCaller)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/snapshot", (LiveCity city) => TypedResults.Ok(city.Snapshot()))
            .WithName("ConsoleSnapshot").WithSummary("The live map now: drivers, open rides, surge cells and figures (admin, dispatcher)");
        api.MapGet("/events", StreamEvents)
            .WithName("ConsoleEvents").WithSummary("The live map's changes as server-sent events (admin, dispatcher)")
            .WithDescription("text/event-stream: an 'update' event (JSON, like the snapshot's parts) at most every Console:PushInterval while anything changes, a comment every 15 s otherwise. Reconnect with a fresh snapshot.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/rides/{id}", GetRide).WithName("ConsoleGetRide").WithSummary("A ride's timeline (admin, dispatcher)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/drivers/{id}", GetDriver).WithName("ConsoleGetDriver").WithSummary("A driver now, the status changes the console saw, and the driver's latest rides (admin, dispatcher)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/search", Search).WithName("ConsoleSearch").WithSummary("Rides and drivers by id or id prefix (admin, dispatcher)");
        return routes;
    }

    /// <summary>
    /// Server-sent events: an <c>update</c> for whatever changed since the last one, at most every
    /// <see cref="ConsoleOptions.PushInterval"/>. Ends when the console goes or the API stops (so it never holds up a
    /// graceful shutdown).
    /// </summary>
    internal static async Task<IResult> StreamEvents(HttpContext context, LiveCity city, IOptions<ConsoleOptions> options, IHostApplicationLifetime lifetime)
    {
        using var stream = city.OpenStream();
        if (stream is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many consoles",
                detail: $"This API serves at most {options.Value.MaxStreams} consoles at once (Console:MaxStreams).");
        }
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var token = ending.Token;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies: pass each event on at once
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var interval = options.Value.PushInterval;
        try
        {
            await response.WriteAsync(": atlas console\nretry: 2000\n\n", token);
            await response.Body.FlushAsync(token);
            var lastSent = DateTimeOffset.MinValue;
            while (!token.IsCancellationRequested)
            {
                var changed = await stream.WaitAsync(Heartbeat, token);
                if (!changed)
                {
                    await response.WriteAsync(": keep-alive\n\n", token);
                    await response.Body.FlushAsync(token);
                    continue;
                }
                // Let changes gather: one update per interval however many positions came in.
                var wait = lastSent + interval - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, token);
                }
                if (stream.TakeDelta() is { } delta)
                {
                    await WriteEventAsync(response, "update", delta, token);
                    lastSent = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the console went away, or the API is stopping
        }
        return TypedResults.Empty;
    }

    private static async Task WriteEventAsync<T>(HttpResponse response, string name, T data, CancellationToken token)
    {
        var json = JsonSerializer.Serialize(data, ApiJson.Options);
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", Encoding.UTF8, token);
        await response.Body.FlushAsync(token);
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

    internal static async Task<Results<Ok<ConsoleDriverDetails>, ValidationProblem>> GetDriver(string id, IGrainFactory grains, LiveCity city)
    {
        var errors = new RequestErrors();
        var driverId = errors.Id("id", id);
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var driver = grains.GetGrain<IDriverGrain>(driverId);
        var snapshot = await driver.GetSnapshot(); // an unknown driver: 404
        var rides = await RideLookup.SummariesAsync(grains, await driver.GetRideHistory(DriverRides));
        var current = snapshot.RideId is { } rideId && rides.All(r => r.OrderId != rideId)
            ? await RideLookup.SummariesAsync(grains, [rideId])
            : [];
        return TypedResults.Ok(new ConsoleDriverDetails(DriverDetails.From(snapshot), city.SeenOf(driverId), [.. current, .. rides]));
    }

    /// <summary>Rides and drivers on the map by id prefix; an exact id not on the map is looked up (one ride, one driver).</summary>
    internal static async Task<Results<Ok<ConsoleSearchResult>, ValidationProblem>> Search([FromQuery] string? q, LiveCity city, IGrainFactory grains)
    {
        var errors = new RequestErrors();
        var query = errors.Id("q", q?.Trim());
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var hits = city.Search(query, MaxSearchHits).ToList();
        if (!hits.Any(h => h.Kind == "ride" && h.Id == query))
        {
            try
            {
                var ride = await grains.GetGrain<IOrderGrain>(query).Get();
                hits.Insert(0, new ConsoleSearchHit("ride", ride.RideId, ride.Status.ToWireName()));
            }
            catch (UnknownRideException)
            {
                // no such ride
            }
        }
        if (!hits.Any(h => h.Kind == "driver" && h.Id == query))
        {
            try
            {
                var driver = await grains.GetGrain<IDriverGrain>(query).GetSnapshot();
                hits.Insert(0, new ConsoleSearchHit("driver", driver.DriverId, driver.Status.ToWireName()));
            }
            catch (UnknownDriverException)
            {
                // no such driver
            }
        }
        return TypedResults.Ok(new ConsoleSearchResult(hits));
    }
}

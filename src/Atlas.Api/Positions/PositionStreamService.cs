using System.Diagnostics;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.Positions.Grpc;
using Atlas.Api.Validation;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Orleans;

namespace Atlas.Api.Positions;

/// <summary>
/// <c>DriverPositions.StreamPositions</c>: a driver app's positions over one long-lived HTTP/2 call. Each position is
/// checked as <c>POST /driver/location</c> checks its body and goes to the driver grain in the order sent; the server
/// acknowledges in batches. A malformed position ends the call with <c>INVALID_ARGUMENT</c> naming the field, after
/// acknowledging those before it (they are kept: each was applied when it was handled).
/// </summary>
public sealed partial class PositionStreamService(IGrainFactory grains, TimeProvider time, IOptions<PositionStreamOptions> options,
    ILogger<PositionStreamService> logger) : DriverPositions.DriverPositionsBase
{
    /// <summary>The trailer that says how many positions the call handled when it ended with an error.</summary>
    public const string AcknowledgedTrailer = "acknowledged";

    private readonly int _ackEvery = Math.Max(1, options.Value.AckEvery);
    private readonly long _ackIntervalTicks = (long)(options.Value.AckInterval.TotalSeconds * Stopwatch.Frequency);

    public override async Task StreamPositions(IAsyncStreamReader<Position> requestStream, IServerStreamWriter<PositionAck> responseStream, ServerCallContext context)
    {
        var caller = context.GetHttpContext().User.Caller();
        var driver = grains.GetGrain<IDriverGrain>(caller.UserId);
        var (handled, stale, acked) = (0L, 0L, 0L);
        var lastAck = Stopwatch.GetTimestamp();
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                var (location, timestamp) = Validate(requestStream.Current, caller);
                try
                {
                    await driver.UpdateLocation(location, timestamp);
                }
                catch (StaleLocationException)
                {
                    stale++; // out of order: skipped, as the HTTP route answers 409 and the app moves on
                }
                catch (UnknownDriverException)
                {
                    // The existing driver app never registers: its first position registers it and makes it available.
                    await driver.Register(new DriverRegistration(caller.UserId, VehicleClass: null));
                    await driver.UpdateLocation(location, timestamp);
                    await driver.GoOnline();
                }
                handled++;
                if (handled - acked >= _ackEvery || Stopwatch.GetTimestamp() - lastAck >= _ackIntervalTicks)
                {
                    await responseStream.WriteAsync(new PositionAck { Acknowledged = handled, Stale = stale }, context.CancellationToken);
                    (acked, lastAck) = (handled, Stopwatch.GetTimestamp());
                }
            }
            if (handled > acked || handled == 0)
            {
                await responseStream.WriteAsync(new PositionAck { Acknowledged = handled, Stale = stale }, context.CancellationToken);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            var status = exception is RpcException rpc ? rpc.Status : StatusOf(exception);
            if (handled > acked && !context.CancellationToken.IsCancellationRequested)
            {
                await responseStream.WriteAsync(new PositionAck { Acknowledged = handled, Stale = stale }, context.CancellationToken);
            }
            if (status.StatusCode is StatusCode.Internal)
            {
                LogStreamFailed(caller.UserId, handled, exception);
            }
            throw new RpcException(status, new Metadata { { AcknowledgedTrailer, handled.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        }
    }

    /// <summary>The checks of <c>POST /driver/location</c>: the same fields, rules and messages.</summary>
    private (GeoPoint Location, DateTimeOffset Timestamp) Validate(Position position, Caller caller)
    {
        var errors = new RequestErrors();
        var driverId = errors.OptionalId("user_id", position.UserId.Length == 0 ? null : position.UserId) ?? caller.UserId;
        var location = errors.Point("latitude", position.HasLatitude ? position.Latitude : null, "longitude", position.HasLongitude ? position.Longitude : null);
        DateTimeOffset? timestamp = null;
        if (position.Timestamp is { } stamp)
        {
            if (stamp.Nanos is < 0 or > 999_999_999 || stamp.Seconds is < -62_135_596_800 or > 253_402_300_799)
            {
                errors.Add("timestamp", "must be a valid point in time (seconds and nanos of google.protobuf.Timestamp).");
            }
            else
            {
                timestamp = stamp.ToDateTimeOffset();
            }
        }
        if (errors.Any)
        {
            var (field, messages) = errors.ToDictionary().First();
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} {messages[0]}"));
        }
        if (!caller.Is(driverId))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "user_id must be the caller's own id: a driver sends only their own positions."));
        }
        return (location, timestamp ?? time.GetUtcNow());
    }

    /// <summary>The HTTP answer a failure would get, as a gRPC status (the detail is the problem's).</summary>
    internal static Status StatusOf(Exception exception)
    {
        var problem = ExceptionProblems.Map(exception);
        var detail = problem.Errors is { Count: > 0 } fields
            ? string.Join("; ", fields.Select(f => $"{f.Key} {string.Join(" ", f.Value)}"))
            : problem.Detail;
        return new Status(problem.Status switch
        {
            StatusCodes.Status400BadRequest or StatusCodes.Status422UnprocessableEntity => StatusCode.InvalidArgument,
            StatusCodes.Status401Unauthorized => StatusCode.Unauthenticated,
            StatusCodes.Status403Forbidden => StatusCode.PermissionDenied,
            StatusCodes.Status404NotFound => StatusCode.NotFound,
            StatusCodes.Status409Conflict => StatusCode.FailedPrecondition,
            StatusCodes.Status429TooManyRequests => StatusCode.ResourceExhausted,
            StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
            _ => StatusCode.Internal,
        }, detail);
    }

    [LoggerMessage(LogLevel.Error, "Position stream of driver {DriverId} failed after {Handled} position(s)")]
    private partial void LogStreamFailed(string driverId, long handled, Exception exception);
}

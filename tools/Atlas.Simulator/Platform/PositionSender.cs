using Atlas.Api.Positions.Grpc;
using Atlas.Simulator.City;
using Atlas.Simulator.Figures;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Atlas.Simulator.Platform;

/// <summary>How one driver's app sends its positions while it is online.</summary>
public interface IPositionSender : IAsyncDisposable
{
    Task SendAsync(GeoPosition position, CancellationToken cancellationToken);
}

/// <summary><c>POST /driver/location</c>, one request per position.</summary>
public sealed class HttpPositionSender(AtlasHttp http, SimulationFigures figures, string driverId, string token) : IPositionSender
{
    public async Task SendAsync(GeoPosition position, CancellationToken cancellationToken)
    {
        var answer = await http.PostAsync("/driver/location", token,
            new { user_id = driverId, latitude = position.Lat, longitude = position.Long, timestamp = DateTimeOffset.UtcNow }, cancellationToken);
        if (answer.Ok)
        {
            figures.PositionsAccepted(1);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// One <c>DriverPositions.StreamPositions</c> call, opened on the first position and kept open; the server's batched
/// acknowledgements count the positions. A call that fails is counted as an error and opened again on the next position.
/// </summary>
public sealed class GrpcPositionSender(GrpcChannel channel, SimulationFigures figures, string token) : IPositionSender
{
    private AsyncDuplexStreamingCall<Position, PositionAck>? _call;
    private Task? _reader;

    public async Task SendAsync(GeoPosition position, CancellationToken cancellationToken)
    {
        try
        {
            if (_call is null)
            {
                _call = new DriverPositions.DriverPositionsClient(channel).StreamPositions(new Metadata { { "Authorization", "Bearer " + token } });
                _reader = ReadAcknowledgementsAsync(_call);
            }
            await _call.RequestStream.WriteAsync(new Position
            {
                Latitude = position.Lat,
                Longitude = position.Long,
                Timestamp = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is ending while a write was in flight: gRPC reports the cancellation as a status.
            await CloseAsync(complete: false);
            throw new OperationCanceledException(cancellationToken);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            figures.Error($"gRPC StreamPositions → {Describe(e)}");
            await CloseAsync(complete: false);
        }
    }

    private async Task ReadAcknowledgementsAsync(AsyncDuplexStreamingCall<Position, PositionAck> call)
    {
        long seen = 0;
        try
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync())
            {
                figures.PositionsAccepted(ack.Acknowledged - ack.Stale - seen);
                seen = ack.Acknowledged - ack.Stale;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            // Closed from this side.
        }
        catch (RpcException e)
        {
            figures.Error($"gRPC StreamPositions → {Describe(e)}");
        }
    }

    /// <summary>Ends the call (the driver goes offline or the run ends): the server's last acknowledgement still counts.</summary>
    public async Task CloseAsync(bool complete = true)
    {
        if (_call is not { } call)
        {
            return;
        }
        _call = null;
        try
        {
            if (complete)
            {
                await call.RequestStream.CompleteAsync();
                await _reader!.WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException or IOException)
        {
            figures.Error($"gRPC StreamPositions (closing) → {Describe(e)}");
        }
        finally
        {
            call.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await CloseAsync();

    private static string Describe(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : AtlasHttp.Innermost(e).Message;
}

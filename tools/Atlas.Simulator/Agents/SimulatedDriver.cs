using System.Text.Json.Nodes;
using Atlas.Simulator.City;
using Atlas.Simulator.Platform;

namespace Atlas.Simulator.Agents;

/// <summary>
/// A driver's app: online, it cruises between hot spots and sends its position every tick; when idle it asks for its
/// ride (assign dispatch) or its offer (offer dispatch, accepted with the configured probability), then drives to the
/// pickup, marks ARRIVED and STARTED, drives to the drop-off and marks FINISHED. Now and then it goes offline for a while.
/// </summary>
public sealed class SimulatedDriver(CityContext city, string id, string token, IPositionSender positions, Random random)
{
    /// <summary>A driver stays online about this long on average between breaks.</summary>
    private static readonly TimeSpan MeanOnlinePeriod = TimeSpan.FromSeconds(90);
    private const int TopUpAmount = 20_000;

    private enum Stage { Idle, ToPickup, AtPickup, ToDropoff }

    private Route _route = new([city.Grid.NearHotSpot(random).Corner]);
    private Stage _stage = Stage.Idle;
    private string? _rideId;
    private GridPoint _dropoff;
    private bool _online;
    private DateTimeOffset _backOnlineAt;
    private DateTimeOffset _nextPoll;
    private int _finishedSinceWalletCheck;

    public string Id => id;

    public GeoPosition Position => city.Grid.ToGeo(_route.Position);

    /// <summary>
    /// Registers the driver before the clock runs: in the default city by its first position, as the existing apps do
    /// (the city's default class, online); in a named city with its profile there, then online.
    /// </summary>
    public async Task<bool> RegisterAsync(CancellationToken cancellationToken)
    {
        if (city.CityParameter is { } cityName)
        {
            var profile = await city.Http.PutAsync("/driver/profile", token, new { name = id, vehicle_type = city.Market.VehicleClass, city = cityName }, cancellationToken);
            if (!profile.Ok || !(await city.Http.PostAsync("/driver/online", token, null, cancellationToken)).Ok)
            {
                return false;
            }
        }
        var answer = await city.Http.PostAsync("/driver/location", token,
            new { user_id = id, latitude = Position.Lat, longitude = Position.Long, timestamp = DateTimeOffset.UtcNow }, cancellationToken);
        if (answer.Ok)
        {
            _online = true;
            city.Figures.DriverOnline(+1);
        }
        return answer.Ok;
    }

    /// <summary>Cash rides take the platform's commission from the driver's wallet: drivers keep it topped up.</summary>
    public async Task TopUpAsync(CancellationToken cancellationToken)
    {
        var answer = await city.Http.PostAsync("/wallet/topup", token,
            new { amount = TopUpAmount, currency = city.Market.Currency, reference = $"{id}-topup-{Guid.NewGuid():N}" }, cancellationToken);
        if (answer.Ok)
        {
            city.Figures.ToppedUp();
        }
    }

    /// <summary>Ticks until <paramref name="stop"/>, then winds up (finishes a started ride, goes offline).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var tick = city.Options.PositionEvery;
        // Spread the drivers' ticks over the interval, as real phones are.
        var next = DateTimeOffset.UtcNow + tick * random.NextDouble();
        try
        {
            while (true)
            {
                var wait = next - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
                else
                {
                    stop.ThrowIfCancellationRequested();
                }
                next += tick;
                if (next < DateTimeOffset.UtcNow)
                {
                    next = DateTimeOffset.UtcNow + tick; // fell behind (a slow answer): skip, never burst
                }
                await TickAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await WindUpAsync();
    }

    private async Task TickAsync(CancellationToken stop)
    {
        if (!_online)
        {
            if (DateTimeOffset.UtcNow >= _backOnlineAt && (await city.Http.PostAsync("/driver/online", token, null, stop)).Ok)
            {
                _online = true;
                city.Figures.DriverOnline(+1);
            }
            if (_stage == Stage.Idle)
            {
                return;
            }
        }
        await DriveAsync(stop);
        await positions.SendAsync(Position, stop);
        if (_stage == Stage.Idle && _online && DateTimeOffset.UtcNow >= _nextPoll)
        {
            _nextPoll = DateTimeOffset.UtcNow + city.Options.PollEvery;
            await LookForRideAsync(stop);
            if (_stage == Stage.Idle && random.NextDouble() < city.Options.PositionEvery / MeanOnlinePeriod)
            {
                await TakeABreakAsync(stop);
            }
        }
    }

    private async Task DriveAsync(CancellationToken stop)
    {
        if (_route.Arrived && _stage == Stage.Idle)
        {
            // Cruise towards where riders are.
            _route = city.Grid.RouteBetween(_route.Position, city.Grid.NearHotSpot(random).Corner, random);
        }
        _route.Advance(city.MetresPerTick);
        switch (_stage)
        {
            case Stage.ToPickup when _route.Arrived:
                if (await MoveRideAsync("ARRIVED", stop))
                {
                    _stage = Stage.AtPickup;
                }
                break;
            case Stage.AtPickup:
                // The rider got on during the tick at the pickup.
                if (await MoveRideAsync("STARTED", stop))
                {
                    _stage = Stage.ToDropoff;
                    _route = city.Grid.RouteBetween(_route.Position, _dropoff, random);
                }
                break;
            case Stage.ToDropoff when _route.Arrived:
                if (await MoveRideAsync("FINISHED", stop))
                {
                    city.Figures.RideFinished();
                    EndRide();
                    if (city.Options.Payment == Command.SimulatedPayment.Cash && ++_finishedSinceWalletCheck >= 5)
                    {
                        _finishedSinceWalletCheck = 0;
                        await KeepWalletAboveZeroAsync(stop);
                    }
                }
                break;
        }
    }

    /// <summary>Asks for the ride the platform assigned, or for the pending offer.</summary>
    private async Task LookForRideAsync(CancellationToken stop)
    {
        if (!city.Market.OfferDispatch)
        {
            var current = await city.Http.GetAsync("/driver/order", token, stop);
            if (current.Status == 200 && current.Str("status") is "MATCHED" or "ARRIVED" or "STARTED")
            {
                BeginRide(current.Body!);
            }
            return;
        }
        var offer = await city.Http.GetAsync("/driver/offer", token, stop);
        if (offer.Status != 200 || offer.Str("order_id") is not { } rideId)
        {
            return;
        }
        if (random.NextDouble() >= city.Options.AcceptProbability)
        {
            var declined = await city.Http.PostAsync("/driver/offer/decline", token, new { order_id = rideId }, stop, 409);
            if (declined.Ok)
            {
                city.Figures.OfferDeclined();
            }
            else if (declined.Status == 409)
            {
                city.Figures.OfferLost();
            }
            return;
        }
        var accepted = await city.Http.PostAsync("/driver/offer/accept", token, new { order_id = rideId }, stop, 409);
        if (accepted.Ok)
        {
            city.Figures.OfferAccepted();
            city.Matched(rideId);
            BeginRide(new JsonObject
            {
                ["order_id"] = rideId,
                ["status"] = "MATCHED",
                ["pickup"] = offer.Body!["pickup"]?.DeepClone(),
                ["dropoff"] = offer.Body["dropoff"]?.DeepClone(),
            });
        }
        else if (accepted.Status == 409)
        {
            city.Figures.OfferLost(); // expired or withdrawn while the driver made up its mind
        }
    }

    private void BeginRide(JsonNode ride)
    {
        _rideId = ride["order_id"]!.GetValue<string>();
        var pickup = city.Grid.Snap(city.Grid.ToGrid(ReadPosition(ride["pickup"])));
        _dropoff = city.Grid.Snap(city.Grid.ToGrid(ReadPosition(ride["dropoff"])));
        // From wherever it is on the street to the nearest corner, then along the streets to the pickup.
        var here = _route.Position;
        _route = new Route([here, city.Grid.Snap(here) is var corner && corner != here ? corner : here, pickup]);
        _stage = ride["status"]?.GetValue<string>() switch
        {
            "ARRIVED" => Stage.AtPickup,
            "STARTED" => Stage.ToDropoff,
            _ => Stage.ToPickup,
        };
        if (_stage == Stage.ToDropoff)
        {
            _route = city.Grid.RouteBetween(city.Grid.Snap(here), _dropoff, random);
        }
    }

    private static GeoPosition ReadPosition(JsonNode? node) => new(node!["lat"]!.GetValue<double>(), node["long"]!.GetValue<double>());

    private void EndRide()
    {
        _rideId = null;
        _stage = Stage.Idle;
        _route = new Route([_route.Position]);
    }

    /// <summary>Moves the ride on; a ride that is gone (cancelled) sends the driver back to cruising.</summary>
    private async Task<bool> MoveRideAsync(string status, CancellationToken stop)
    {
        var answer = await city.Http.PutAsync("/driver/order/status", token, new { order_id = _rideId, status }, stop);
        if (answer.Status is 403 or 404 or 409)
        {
            EndRide();
        }
        return answer.Ok;
    }

    private async Task KeepWalletAboveZeroAsync(CancellationToken stop)
    {
        var wallet = await city.Http.GetAsync("/wallet", token, stop);
        if (wallet.Ok && (wallet.Long("available") ?? 0) < TopUpAmount / 4)
        {
            await TopUpAsync(stop);
        }
    }

    private async Task TakeABreakAsync(CancellationToken stop)
    {
        var offline = await city.Http.PostAsync("/driver/offline", token, null, stop, 409);
        if (!offline.Ok)
        {
            return;
        }
        _online = false;
        city.Figures.DriverOnline(-1);
        city.Figures.WentOffline();
        _backOnlineAt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5 + random.NextDouble() * 10);
        if (positions is GrpcPositionSender grpc)
        {
            await grpc.CloseAsync();
        }
        // A ride assigned between the last look and the break is still this driver's: it drives it.
        if (!city.Market.OfferDispatch)
        {
            var current = await city.Http.GetAsync("/driver/order", token, stop);
            if (current.Status == 200 && current.Str("status") is "MATCHED" or "ARRIVED" or "STARTED")
            {
                BeginRide(current.Body!);
            }
        }
    }

    /// <summary>After the run: a started ride is finished where the car is, and the driver goes offline.</summary>
    private async Task WindUpAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            if (_rideId is not null && _stage == Stage.ToDropoff)
            {
                if ((await city.Http.PutAsync("/driver/order/status", token, new { order_id = _rideId, status = "FINISHED" }, limit.Token, 409)).Ok)
                {
                    city.Figures.RideFinished();
                }
            }
            if (_online)
            {
                await city.Http.PostAsync("/driver/offline", token, null, limit.Token, 409);
                _online = false;
                city.Figures.DriverOnline(-1);
            }
            await positions.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            city.Figures.Error($"driver {id} could not wind up within 20 s");
        }
    }
}

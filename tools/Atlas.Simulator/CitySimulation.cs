using System.Diagnostics;
using System.Globalization;
using Atlas.Api.Auth;
using Atlas.Simulator.Agents;
using Atlas.Simulator.City;
using Atlas.Simulator.Command;
using Atlas.Simulator.Figures;
using Atlas.Simulator.Platform;
using Grpc.Net.Client;

namespace Atlas.Simulator;

/// <summary>
/// One run of the city simulator against a running Atlas: learns the city's market, gets tokens, registers the drivers
/// (before the clock runs), then lets drivers drive and riders request at the configured rate for the configured time,
/// gives open rides time to finish, winds up (rides not started are cancelled, started ones finished, drivers offline)
/// and returns its figures. The command line and the bench's <c>city</c> scenario both run it.
/// </summary>
public sealed class CitySimulation(SimulatorOptions options, Action<string> log)
{
    /// <summary>Set-up requests (tokens, registration, top-ups) in flight at once.</summary>
    private const int SetUpConcurrency = 16;

    public async Task<SimulationResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var figures = new SimulationFigures();
        using var http = new AtlasHttp(options.Url, figures);
        await http.EnsureReachableAsync(cancellationToken);
        var tokens = new TokenSource(http, options, log);
        var grid = StreetGrid.Jakarta;
        var random = new Random(options.Seed);

        var market = await LearnMarketAsync(http, tokens, grid, random, cancellationToken);
        var city = new CityContext(options, http, figures, grid, market);
        log($"city '{market.City}': {(market.OfferDispatch ? "offer" : "assign")} dispatch, {market.VehicleClass}, {options.Payment.ToString().ToLowerInvariant()} rides in {market.Currency}; " +
            $"{options.Drivers} drivers, {options.Riders} riders, {options.RidesPerSecond.ToString(CultureInfo.InvariantCulture)} rides/s for {options.Duration.TotalSeconds:0} s");

        using var grpcChannel = options.Positions == PositionTransport.Grpc ? await OpenGrpcAsync(tokens, cancellationToken) : null;
        var setUp = Stopwatch.StartNew();
        var drivers = await CreateDriversAsync(city, tokens, grpcChannel, cancellationToken);
        var riders = await ForEachAsync(Enumerable.Range(0, options.Riders), async (i, ct) =>
        {
            var riderId = RiderId(i);
            return new SimulatedRider(city, riderId, await tokens.ForAsync(riderId, Roles.Rider, ct), RandomFor("rider", i));
        }, cancellationToken);
        var moreRiders = new RiderFactory(city, tokens, riders.Length, RiderId, i => RandomFor("rider", i));
        log($"set up in {setUp.Elapsed.TotalSeconds:0.0} s: {drivers.Length} drivers online, {riders.Length} riders (more join if all have a ride open), positions over {(grpcChannel is null ? "HTTP" : "gRPC")}");

        // Without a ramp the clock starts before the first request, so that every ride requested is counted.
        var clockStarts = options.Ramp <= TimeSpan.Zero
            ? Task.CompletedTask
            : Task.Delay(options.Ramp, cancellationToken).ContinueWith(_ => figures.Start(), TaskScheduler.Default);
        if (options.Ramp <= TimeSpan.Zero)
        {
            figures.Start();
        }
        using var stopDrivers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var windUpRiders = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var driving = drivers.Select(d => Task.Run(() => d.RunAsync(stopDrivers.Token), CancellationToken.None)).ToArray();
        using var progress = new ProgressReporter(figures, options, grpcChannel is null ? "http" : "grpc", log);

        var (rides, openRides) = await RequestRidesAsync(city, riders, moreRiders, random, windUpRiders.Token);
        await clockStarts;
        var drained = Stopwatch.StartNew();
        while (Volatile.Read(ref openRides.Value) > 0 && drained.Elapsed < options.Drain && !cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAny(Task.WhenAll(rides), Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None));
        }
        var measured = figures.Elapsed;
        figures.WindUp();
        progress.Dispose();
        var summary = SimulationResult.From(figures, options, market, grpcChannel is null ? "http" : "grpc", measured, drivers.Length, riders.Length + moreRiders.Created);

        await windUpRiders.CancelAsync();
        await Task.WhenAll(rides);
        await stopDrivers.CancelAsync();
        await Task.WhenAll(driving);
        summary.WindUpErrors = figures.WindUpErrors;
        summary.WoundUp = (figures.RidesCancelled - summary.RidesCancelled, figures.RidesFinished - summary.RidesFinished);
        summary.WindUpErrorSamples = [.. figures.WindUpErrorSamples];
        return summary;
    }

    /// <summary>
    /// Asks for one price in the middle of the map and cancels the order: the answer says how the city dispatches, its
    /// currency and its default class, and a city or payment method the platform does not serve fails here, named.
    /// </summary>
    private async Task<CityMarket> LearnMarketAsync(AtlasHttp http, TokenSource tokens, StreetGrid grid, Random random, CancellationToken cancellationToken)
    {
        var probeId = RiderId(0); // the first rider asks, and rides later with the same token
        var token = await tokens.ForAsync(probeId, Roles.Rider, cancellationToken);
        var from = grid.ToGeo(grid.NearHotSpot(random).Corner);
        var to = grid.ToGeo(grid.NearHotSpot(random).Corner);
        var quote = await http.PostAsync("/customer/order", token, new
        {
            user_id = probeId,
            pickup_lat = from.Lat,
            pickup_long = from.Long,
            dropoff_lat = to.Lat,
            dropoff_long = to.Long,
            payment_method = options.Payment == SimulatedPayment.Wallet ? "wallet" : "cash",
            city = options.City,
        }, cancellationToken, 400);
        if (!quote.Ok || quote.Str("order_id") is not { } orderId)
        {
            throw new SimulationSetupException($"Atlas refused the city's first order ({quote.Status}): {quote.Str("detail") ?? "no answer"}");
        }
        await http.PostAsync($"/customer/order/{Uri.EscapeDataString(orderId)}/cancel", token, new { reason = "simulator probe" }, cancellationToken);
        return new CityMarket(quote.Str("city") ?? options.City ?? "default", quote.Str("dispatch") == "offer", quote.Str("currency") ?? "EUR", quote.Str("vehicle_type") ?? "?");
    }

    /// <summary>The gRPC channel if the position stream answers (one probe call), else null: positions go over HTTP.</summary>
    private async Task<GrpcChannel?> OpenGrpcAsync(TokenSource tokens, CancellationToken cancellationToken)
    {
        var url = options.EffectiveGrpcUrl;
        var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        });
        try
        {
            var probe = new Atlas.Api.Positions.Grpc.DriverPositions.DriverPositionsClient(channel);
            var probeToken = await tokens.ForAsync(DriverId(0), Roles.Driver, cancellationToken);
            using var call = probe.StreamPositions(new Grpc.Core.Metadata { { "Authorization", "Bearer " + probeToken } },
                deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
            }
            return channel;
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException or InvalidOperationException)
        {
            log($"gRPC positions not available at {url} ({(e is Grpc.Core.RpcException rpc ? rpc.Status.Detail : e.Message)}); positions go over HTTP (POST /driver/location)");
            channel.Dispose();
            return null;
        }
    }

    private async Task<SimulatedDriver[]> CreateDriversAsync(CityContext city, TokenSource tokens, GrpcChannel? grpc, CancellationToken cancellationToken)
    {
        var drivers = await ForEachAsync(Enumerable.Range(0, options.Drivers), async (i, ct) =>
        {
            var driverId = DriverId(i);
            var token = await tokens.ForAsync(driverId, Roles.Driver, ct);
            IPositionSender positions = grpc is null
                ? new HttpPositionSender(city.Http, city.Figures, driverId, token)
                : new GrpcPositionSender(grpc, city.Figures, token);
            var driver = new SimulatedDriver(city, driverId, token, positions, RandomFor("driver", i));
            if (!await driver.RegisterAsync(ct))
            {
                return null;
            }
            if (grpc is not null)
            {
                // Opens the driver's position call before the clock runs, as an app does when it starts.
                await positions.SendAsync(driver.Position, ct);
            }
            if (options.Payment == SimulatedPayment.Cash)
            {
                await driver.TopUpAsync(ct);
            }
            return driver;
        }, cancellationToken);
        var registered = drivers.OfType<SimulatedDriver>().ToArray();
        if (registered.Length == 0)
        {
            throw new SimulationSetupException($"no driver could register ({string.Join("; ", city.Figures.ErrorSamples)})");
        }
        return registered;
    }

    /// <summary>
    /// Requests rides at the configured rate (evenly spaced, each from a rider without an open ride) until the duration
    /// is over; returns the rides' tasks and how many are still open.
    /// </summary>
    private async Task<(List<Task> Rides, StrongBox Open)> RequestRidesAsync(CityContext city, SimulatedRider[] riders, RiderFactory moreRiders, Random random, CancellationToken windUp)
    {
        var free = new System.Collections.Concurrent.ConcurrentQueue<SimulatedRider>(riders.OrderBy(_ => random.Next()));
        var rides = new List<Task>();
        var open = new StrongBox();
        if (options.RidesPerSecond <= 0)
        {
            await Task.Delay(options.Ramp + options.Duration, windUp);
            return (rides, open);
        }
        var requestFor = options.Ramp + options.Duration;
        var interval = TimeSpan.FromSeconds(1 / options.RidesPerSecond);
        var clock = Stopwatch.StartNew();
        var due = TimeSpan.Zero;
        while (due < requestFor && !windUp.IsCancellationRequested)
        {
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, CancellationToken.None);
            }
            due += interval;
            free.TryDequeue(out var waiting);
            Interlocked.Increment(ref open.Value);
            rides.Add(Task.Run(async () =>
            {
                SimulatedRider? rider = waiting;
                try
                {
                    // Every rider has a ride open: someone new opens the app (a token first).
                    rider ??= await moreRiders.NewAsync(windUp);
                    if (rider is null)
                    {
                        city.Figures.RideSkipped();
                        return;
                    }
                    await rider.RideAsync(windUp);
                }
                catch (OperationCanceledException) when (windUp.IsCancellationRequested)
                {
                }
                finally
                {
                    Interlocked.Decrement(ref open.Value);
                    if (rider is not null)
                    {
                        free.Enqueue(rider);
                    }
                }
            }, CancellationToken.None));
        }
        return (rides, open);
    }

    private static async Task<T[]> ForEachAsync<T>(IEnumerable<int> items, Func<int, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<int, T>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = SetUpConcurrency, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await body(i, ct));
        return [.. results.OrderBy(r => r.Key).Select(r => r.Value)];
    }

    private string RiderId(int index) => $"{options.RunId}-rider-{index}";

    /// <summary>Each agent's own draws (a <see cref="Random"/> is not safe to share between threads), reproducible from the seed.</summary>
    private Random RandomFor(string kind, int index) => new(unchecked(options.Seed * 31 + index * 7919 + (kind == "driver" ? 0 : 104_729)));

    private string DriverId(int index) => $"{options.RunId}-driver-{index}";

    /// <summary>Riders who join during the run; null if the platform gave no token (counted as an error).</summary>
    private sealed class RiderFactory(CityContext city, TokenSource tokens, int firstIndex, Func<int, string> idOf, Func<int, Random> randomOf)
    {
        private int _next = firstIndex - 1;

        public int Created => Volatile.Read(ref _next) - firstIndex + 1;

        public async Task<SimulatedRider?> NewAsync(CancellationToken cancellationToken)
        {
            var index = Interlocked.Increment(ref _next);
            var riderId = idOf(index);
            try
            {
                var token = await tokens.ForAsync(riderId, Roles.Rider, cancellationToken);
                return new SimulatedRider(city, riderId, token, randomOf(index));
            }
            catch (SimulationSetupException e)
            {
                city.Figures.Error($"no token for a new rider: {e.Message}");
                return null;
            }
        }
    }

    /// <summary>A counter shared with the ride tasks.</summary>
    private sealed class StrongBox
    {
        public int Value;
    }
}

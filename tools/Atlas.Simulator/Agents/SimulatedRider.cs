using Atlas.Simulator.City;
using Atlas.Simulator.Command;

namespace Atlas.Simulator.Agents;

/// <summary>
/// A rider's app: asks for a price (<c>POST /customer/order</c>) from one hot spot to another, tops up its wallet when
/// it pays by wallet and the balance would not cover the ride, requests the ride, and follows it
/// (<c>GET /customer/order</c>) until it ends. One ride at a time.
/// </summary>
public sealed class SimulatedRider(CityContext city, string id, string token, Random random)
{
    private const long MaxTopUp = 1_000_000;
    private long _walletEstimate;
    private int _topUps;

    public string Id => id;

    /// <summary>One ride from request to its end; when <paramref name="windUp"/> fires, a ride not yet started is cancelled.</summary>
    public async Task RideAsync(CancellationToken windUp)
    {
        var (pickupCorner, hotSpot) = city.Grid.NearHotSpot(random);
        var pickup = city.Grid.ToGeo(pickupCorner);
        var dropoff = city.Grid.ToGeo(city.Grid.NearHotSpot(random, avoid: hotSpot).Corner);
        var payment = city.Options.Payment == SimulatedPayment.Wallet ? "wallet" : "cash";
        string? rideId = null;
        try
        {
            var quote = await city.Http.PostAsync("/customer/order", token, new
            {
                user_id = id,
                pickup_lat = pickup.Lat,
                pickup_long = pickup.Long,
                dropoff_lat = dropoff.Lat,
                dropoff_long = dropoff.Long,
                payment_method = payment,
                city = city.CityParameter,
            }, windUp);
            if (!quote.Ok || quote.Str("order_id") is not { } orderId)
            {
                return;
            }
            // Counted once the order exists: from here on the ride ends finished, cancelled or without a driver, even
            // when the clock stops mid-request (the wind-up cancels it); a quote the clock cut off was never a ride.
            rideId = orderId;
            city.Figures.RideRequested();
            var price = quote.Long("price") ?? 0;
            if (payment == "wallet" && _walletEstimate < price * 2)
            {
                await TopUpAsync(price, windUp);
            }

            city.AwaitingMatch(orderId);
            var request = new
            {
                passenger_id = id,
                order_id = orderId,
                pickup_lat = pickup.Lat,
                pickup_long = pickup.Long,
                dropoff_lat = dropoff.Lat,
                dropoff_long = dropoff.Long,
                payment_method = payment,
                city = city.CityParameter,
            };
            var requested = await city.Http.PostAsync("/customer/ride/request", token, request, windUp, 402);
            if (requested.Status == 402)
            {
                // The wallet fell short after all (another ride's capture, a surge): top up once and ask again.
                await TopUpAsync(Math.Max(price, requested.Long("requested") ?? price), windUp);
                requested = await city.Http.PostAsync("/customer/ride/request", token, request, windUp);
            }
            if (!requested.Ok)
            {
                city.NoLongerAwaited(orderId);
                return;
            }
            _walletEstimate -= requested.Long("held_amount") ?? 0;
            var status = requested.Str("status");
            if (status == "MATCHED")
            {
                city.Matched(orderId);
            }
            await FollowAsync(orderId, status, windUp);
        }
        catch (OperationCanceledException) when (windUp.IsCancellationRequested)
        {
            if (rideId is not null)
            {
                await CancelAsync(rideId);
            }
        }
    }

    /// <summary>Polls the ride until it ends, counting how it ended.</summary>
    private async Task FollowAsync(string rideId, string? status, CancellationToken windUp)
    {
        while (true)
        {
            switch (status)
            {
                case "FINISHED":
                    return;
                case "NO_DRIVER":
                    city.NoLongerAwaited(rideId);
                    city.Figures.RideNoDriver();
                    return;
                case "CANCELLED":
                    city.NoLongerAwaited(rideId);
                    city.Figures.RideCancelled();
                    return;
                case "MATCHED" or "ARRIVED" or "STARTED":
                    // Matched while the rider waited (offer dispatch): the accepting driver timed it; count it if not.
                    city.Matched(rideId);
                    break;
            }
            await Task.Delay(city.Options.PollEvery * 2, windUp);
            var ride = await city.Http.GetAsync($"/customer/order?id={Uri.EscapeDataString(rideId)}", token, windUp);
            if (ride.Ok)
            {
                status = ride.Str("status");
            }
        }
    }

    private async Task CancelAsync(string rideId)
    {
        city.NoLongerAwaited(rideId);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            // A ride already started, finished or cancelled answers 409: the driver winds it up.
            var cancelled = await city.Http.PostAsync($"/customer/order/{Uri.EscapeDataString(rideId)}/cancel", token, new { reason = "simulation ended" }, limit.Token, 409);
            if (cancelled.Ok)
            {
                city.Figures.RideCancelled();
            }
        }
        catch (OperationCanceledException)
        {
            city.Figures.Error($"rider {id} could not cancel {rideId} within 20 s");
        }
    }

    private async Task TopUpAsync(long price, CancellationToken cancellationToken)
    {
        // Enough for a good many rides at once, as people top up; within the API's 1 … 1 000 000 per top-up.
        var amount = Math.Clamp(price * 20, 1_000, MaxTopUp);
        var answer = await city.Http.PostAsync("/wallet/topup", token,
            new { amount, currency = city.Market.Currency, reference = $"{id}-topup-{++_topUps}" }, cancellationToken);
        if (answer.Ok)
        {
            _walletEstimate += amount;
            city.Figures.ToppedUp();
        }
    }
}

using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.Markets;

/// <summary>
/// Cash rides: nothing held from the rider, the commission reserved on the driver's wallet and taken at the end; a
/// driver whose wallet cannot take a ride's commission within the credit limit gets no cash ride until a top-up.
/// </summary>
public sealed class CashRideTests(CashMarketsFactory api) : IClassFixture<CashMarketsFactory>
{
    private readonly Scenario _scenario = api.Scenario();

    private static object Order(string riderId, GeoPoint pickup, string city) => new
    {
        user_id = riderId,
        pickup_lat = pickup.Latitude,
        pickup_long = pickup.Longitude,
        dropoff_lat = Scenario.Offset(pickup, 2000, 1000).Latitude,
        dropoff_long = Scenario.Offset(pickup, 2000, 1000).Longitude,
        city,
    };

    /// <summary>A cash ride in <paramref name="city"/> by a rider who never topped up: its order id and the request's answer.</summary>
    private async Task<(string OrderId, System.Text.Json.Nodes.JsonNode Requested)> RequestAsync(GeoPoint pickup, string city)
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var orderId = (await rider.PostOkAsync("/customer/order", Order(riderId, pickup, city))).Str("order_id");
        var requested = await rider.PostOkAsync("/customer/ride/request", new { passenger_id = riderId, order_id = orderId });
        return (orderId, requested);
    }

    private static async Task FinishAsync(ApiClient driver, string orderId)
    {
        await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "STARTED" });
        await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "FINISHED" });
    }

    private async Task<System.Text.Json.Nodes.JsonNode> SettledAsync(string orderId) =>
        await Scenario.EventuallyAsync(async () =>
        {
            var ride = await api.Admin().GetOkAsync($"/customer/order?id={orderId}");
            return ride["payment_settled"]!.GetValue<bool>() ? ride : null;
        }, $"ride {orderId} settled");

    [Fact]
    public async Task A_finished_cash_ride_moves_exactly_its_commission_from_the_driver_to_the_platform()
    {
        var pickup = Scenario.RandomSpot();
        var (driverId, driver) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 100, 0));
        var (orderId, requested) = await RequestAsync(pickup, "cashville");
        Assert.Equal(("MATCHED", driverId, "cash"), (requested.Str("status"), requested.Str("driver_id"), requested.Str("payment_method")));
        Assert.Null(requested["held_amount"]);

        await FinishAsync(driver, orderId);
        var ride = await SettledAsync(orderId);

        // The ledger: a credit hold and its capture on the driver's wallet, a credit on the platform's, nothing else.
        var ledger = api.Services.GetRequiredService<ILedgerStore>();
        var driverEntries = await ledger.ReadEntriesAsync(WalletIds.ForUser(driverId));
        var platformEntries = (await ledger.ReadEntriesAsync(WalletIds.Platform)).Where(e => e.Reference.StartsWith($"ride:{orderId}:", StringComparison.Ordinal)).ToArray();
        var commission = -driverEntries.Sum(e => e.AmountMinor);
        Assert.True(commission > 0);
        Assert.Equal([$"ride:{orderId}:commission"], driverEntries.Select(e => e.Reference));
        Assert.Equal([$"ride:{orderId}:commission:platform"], platformEntries.Select(e => e.Reference));
        Assert.Equal(0, driverEntries.Sum(e => e.AmountMinor) + platformEntries.Sum(e => e.AmountMinor));
        var moto = api.Services.GetRequiredService<MarketCatalog>().City("cashville").VehicleClass("moto").Fare;
        Assert.Equal(FareCalculator.Split(new Money(ride.Long("charged"), Currency.Eur), moto).PlatformCommission.Minor, commission);
        var wallet = await driver.GetOkAsync("/wallet");
        Assert.Equal((-commission, 0L, 0), (wallet.Long("balance"), wallet.Long("held"), wallet["open_holds"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_driver_past_the_credit_limit_is_not_assigned_cash_rides_until_a_top_up_settles()
    {
        var pickup = Scenario.RandomSpot();
        var (indebtedId, indebted) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 100, 0));
        var (first, _) = await RequestAsync(pickup, "cashville");
        await FinishAsync(indebted, first);
        await SettledAsync(first);
        var debt = -(await indebted.GetOkAsync("/wallet")).Long("balance");
        Assert.InRange(debt, 1, CashMarketsFactory.CreditLimit);

        // The indebted driver is nearest, but the next commission does not fit within the limit: the farther driver gets it.
        await _scenario.WaitUntilSearchableAsync(indebtedId, pickup);
        var (fartherId, farther) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 600, 0));
        var (second, requested) = await RequestAsync(pickup, "cashville");
        Assert.Equal(fartherId, requested.Str("driver_id"));
        var reserve = (await farther.GetOkAsync("/wallet/movements"))["movements"]!.AsArray().Single();
        Assert.Equal(("hold", CashMarketsFactory.CreditLimit), (reserve!.Str("kind"), reserve!.Long("credit_limit")));
        Assert.Equal((-debt, 0L), ((await indebted.GetOkAsync("/wallet")).Long("balance"), (await indebted.GetOkAsync("/wallet")).Long("held")));

        // Alone and still past the limit: no driver.
        await FinishAsync(farther, second);
        await farther.PostOkAsync("/driver/offline");
        var (_, alone) = await RequestAsync(pickup, "cashville");
        Assert.Equal("NO_DRIVER", alone.Str("status"));

        // A top-up settles the debt: rides again.
        await indebted.PostOkAsync("/wallet/topup", new { amount = debt, currency = "EUR" });
        var (_, again) = await RequestAsync(pickup, "cashville");
        Assert.Equal(("MATCHED", indebtedId), (again.Str("status"), again.Str("driver_id")));
    }

    [Fact]
    public async Task A_cash_ride_is_never_offered_to_a_driver_past_the_credit_limit()
    {
        var pickup = Scenario.RandomSpot();
        var (indebtedId, indebted) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 100, 0));
        var (first, _) = await RequestAsync(pickup, "cashville");
        await FinishAsync(indebted, first);
        await SettledAsync(first);
        await _scenario.WaitUntilSearchableAsync(indebtedId, pickup);
        var (_, farther) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 600, 0));

        var (offered, requested) = await RequestAsync(pickup, "cashoffers");

        Assert.Equal("CREATED", requested.Str("status"));
        var offer = await Scenario.WaitForOfferAsync(farther);
        Assert.Equal((offered, "cash"), (offer.Str("order_id"), offer.Str("payment_method")));
        using var none = await indebted.GetAsync("/driver/offer");
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        var ride = await api.Admin().GetOkAsync($"/admin/rides/{offered}");
        Assert.DoesNotContain(ride["timeline"]!.AsArray(), e => e!.Str("name") == "offered" && e!.Str("detail").Contains(indebtedId, StringComparison.Ordinal));

        // Declined: the reserve on the farther driver's wallet is given back.
        await farther.PostOkAsync("/driver/offer/decline", new { order_id = offered });
        var wallet = await Scenario.EventuallyAsync(async () =>
        {
            var w = await farther.GetOkAsync("/wallet");
            return w.Long("held") == 0 ? w : null;
        }, "the reserve released");
        Assert.Equal(0, wallet.Long("balance"));
        Assert.Equal(["hold", "release"], (await farther.GetOkAsync("/wallet/movements"))["movements"]!.AsArray().Select(m => m!.Str("kind")));
    }
}

using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Wallets;

[Collection(ApiCollection.Name)]
public sealed class WalletTests(ApiFactory api)
{
    [Fact]
    public async Task A_top_up_raises_the_balance_and_reports_the_movement()
    {
        var rider = api.Rider(Scenario.NewId("rider"));

        var result = await rider.PostOkAsync("/wallet/topup", new { amount = 2_500, currency = "EUR" });

        Assert.Equal("top_up", result["movement"]!.Str("kind"));
        Assert.Equal(2_500, result["movement"]!.Long("amount"));
        Assert.Equal(2_500, result["wallet"]!.Long("balance"));
        Assert.False(result["replayed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_top_up_repeated_with_its_reference_is_applied_once()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.PostOkAsync("/wallet/topup", new { amount = 1_000, currency = "EUR", reference = "card-charge-1" });

        var again = await rider.PostOkAsync("/wallet/topup", new { amount = 1_000, currency = "EUR", reference = "card-charge-1" });

        Assert.True(again["replayed"]!.GetValue<bool>());
        Assert.Equal(1_000, (await rider.GetOkAsync("/wallet")).Long("balance"));
    }

    [Fact]
    public async Task A_reference_reused_for_another_amount_is_a_409()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.PostOkAsync("/wallet/topup", new { amount = 1_000, currency = "EUR", reference = "card-charge-2" });

        using var response = await rider.PostAsync("/wallet/topup", new { amount = 2_000, currency = "EUR", reference = "card-charge-2" });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:reference-conflict", problem.Str("type"));
    }

    [Fact]
    public async Task A_top_up_in_another_currency_than_the_wallet_is_a_409()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.PostOkAsync("/wallet/topup", new { amount = 1_000, currency = "EUR" });

        using var response = await rider.PostAsync("/wallet/topup", new { amount = 1_000, currency = "USD" });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:currency-mismatch", problem.Str("type"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(100_000_000)]
    public async Task A_top_up_amount_out_of_range_is_a_400_naming_amount(long amount)
    {
        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync("/wallet/topup", new { amount, currency = "EUR" });

        await response.ValidationProblemAsync("amount");
    }

    [Fact]
    public async Task A_fractional_amount_is_a_400_naming_amount()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync("/wallet/topup", """{"amount": 10.5, "currency": "EUR"}""");

        await response.ValidationProblemAsync("amount");
    }

    [Fact]
    public async Task A_lower_case_currency_is_a_400_naming_currency()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync("/wallet/topup", new { amount = 100, currency = "eur" });

        await response.ValidationProblemAsync("currency");
    }

    [Fact]
    public async Task A_new_wallet_is_empty_without_a_currency()
    {
        var wallet = await api.Driver(Scenario.NewId("driver")).GetOkAsync("/wallet");

        Assert.Equal(0, wallet.Long("balance"));
        Assert.Null(wallet["currency"]);
    }

    [Fact]
    public async Task Movements_are_listed_oldest_first_and_page_by_version()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.PostOkAsync("/wallet/topup", new { amount = 100, currency = "EUR" });
        await rider.PostOkAsync("/wallet/topup", new { amount = 200, currency = "EUR" });
        await rider.PostOkAsync("/wallet/topup", new { amount = 300, currency = "EUR" });

        var first = await rider.GetOkAsync("/wallet/movements?limit=2");
        var rest = await rider.GetOkAsync($"/wallet/movements?after_version={first.Long("next_after_version")}");

        Assert.Equal([100L, 200L], first["movements"]!.AsArray().Select(m => m!.Long("amount")));
        Assert.Equal([300L], rest["movements"]!.AsArray().Select(m => m!.Long("amount")));
    }

    [Fact]
    public async Task A_negative_after_version_is_a_400_naming_it()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).GetAsync("/wallet/movements?after_version=-1");

        await response.ValidationProblemAsync("after_version");
    }
}

using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Markets;

/// <summary>The API as installed: the built-in default city (motorbike rides incl. go-ride, assign dispatch, cash), nothing configured.</summary>
public class DefaultMarketsFactory : ApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings.Where(setting => !setting.Key.StartsWith("Markets:", StringComparison.Ordinal));
}

/// <summary>
/// Two cash cities with a small credit limit (100 cents): <c>cashville</c> assigns at once, <c>cashoffers</c> offers.
/// A motorbike ride of about 2 km reserves a commission of about 70 cents and takes about 50, so one ride's debt leaves
/// no room for the next reserve until the driver tops up.
/// </summary>
public sealed class CashMarketsFactory : DefaultMarketsFactory
{
    public const long CreditLimit = 100;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Markets:Cities:cashville:Dispatch", "assign"),
        new("Markets:Cities:cashville:Payments:Default", "cash"),
        new("Markets:Cities:cashville:Payments:DriverCreditLimit", "100"),
        new("Markets:Cities:cashoffers:Dispatch", "offer"),
        new("Markets:Cities:cashoffers:Payments:Default", "cash"),
        new("Markets:Cities:cashoffers:Payments:DriverCreditLimit", "100"),
    ];
}

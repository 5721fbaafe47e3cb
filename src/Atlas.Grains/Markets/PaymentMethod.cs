using System.Diagnostics.CodeAnalysis;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Markets;

/// <summary>How a rider pays for a ride.</summary>
[GenerateSerializer, Alias("atlas.PaymentMethod")]
public enum PaymentMethod
{
    /// <summary>From the rider's wallet: the fare is held at request and captured at the end.</summary>
    Wallet,

    /// <summary>
    /// In cash to the driver: nothing is held from the rider; the platform's commission is reserved on the driver's
    /// wallet when the driver is matched (it may go below zero down to the city's credit limit) and taken at the end.
    /// </summary>
    Cash,
}

/// <summary>Wire names (<c>wallet|cash</c>) for <see cref="PaymentMethod"/>.</summary>
public static class PaymentMethods
{
    public static IReadOnlyList<PaymentMethod> All { get; } = Enum.GetValues<PaymentMethod>();

    public static string ToWireName(this PaymentMethod method) => method switch
    {
        PaymentMethod.Wallet => "wallet",
        PaymentMethod.Cash => "cash",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a defined payment method."),
    };

    public static bool TryParse([NotNullWhen(true)] string? value, out PaymentMethod method) =>
        WireNames.TryParse(value, All, static v => v.ToWireName(), out method);
}

using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Markets;

/// <summary>One city's market, validated and immutable: classes by name and alias, dispatch, payments, surge.</summary>
public sealed class CityMarket
{
    private readonly FrozenDictionary<string, VehicleClass> _byName;

    internal CityMarket(string name, IReadOnlyList<VehicleClass> classes, string defaultClass, DispatchMode dispatch,
        IReadOnlyList<PaymentMethod> paymentMethods, PaymentMethod defaultPaymentMethod, long driverCreditLimit, SurgePolicy surge)
    {
        Name = name;
        Classes = classes;
        _byName = classes
            .SelectMany(c => c.Aliases.Prepend(c.Name).Select(n => KeyValuePair.Create(n, c)))
            .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        DefaultClass = _byName[defaultClass];
        Dispatch = dispatch;
        PaymentMethods = paymentMethods;
        DefaultPaymentMethod = defaultPaymentMethod;
        Currency = classes[0].Fare.Currency;
        DriverCreditLimit = new Money(driverCreditLimit, Currency);
        Surge = surge;
    }

    public string Name { get; }

    public IReadOnlyList<VehicleClass> Classes { get; }

    /// <summary>The class of requests that name none, and of drivers registered by their first location update.</summary>
    public VehicleClass DefaultClass { get; }

    public DispatchMode Dispatch { get; }

    public IReadOnlyList<PaymentMethod> PaymentMethods { get; }

    public PaymentMethod DefaultPaymentMethod { get; }

    /// <summary>The currency every class of the city is priced in.</summary>
    public Currency Currency { get; }

    /// <summary>How far below zero a driver's wallet may go for the commissions of cash rides.</summary>
    public Money DriverCreditLimit { get; }

    public SurgePolicy Surge { get; }

    /// <summary>The class names, as an error message lists them.</summary>
    public string[] ClassNames => [.. Classes.Select(c => c.Name)];

    /// <summary>The class named <paramref name="nameOrAlias"/> (ignoring case and surrounding spaces), or the default class when null.</summary>
    /// <exception cref="UnknownVehicleClassException">The city has no such class.</exception>
    public VehicleClass VehicleClass(string? nameOrAlias) =>
        nameOrAlias is null ? DefaultClass
        : TryGetVehicleClass(nameOrAlias, out var found) ? found
        : throw new UnknownVehicleClassException(Name, nameOrAlias, ClassNames);

    public bool TryGetVehicleClass(string? nameOrAlias, [NotNullWhen(true)] out VehicleClass? vehicleClass)
    {
        vehicleClass = null;
        return nameOrAlias is not null && _byName.TryGetValue(nameOrAlias.Trim(), out vehicleClass);
    }

    /// <summary>The method named <paramref name="name"/> if the city takes it, or the default method when null.</summary>
    /// <exception cref="UnknownPaymentMethodException">Not a method, or not one the city takes.</exception>
    public PaymentMethod PaymentMethod(string? name)
    {
        if (name is null)
        {
            return DefaultPaymentMethod;
        }
        return Markets.PaymentMethods.TryParse(name, out var method) && PaymentMethods.Contains(method)
            ? method
            : throw new UnknownPaymentMethodException(Name, name, [.. PaymentMethods.Select(m => m.ToWireName())]);
    }

    /// <summary>Whether the city takes <paramref name="method"/>.</summary>
    /// <exception cref="UnknownPaymentMethodException">It does not.</exception>
    public PaymentMethod PaymentMethod(PaymentMethod? method) =>
        method is null ? DefaultPaymentMethod
        : PaymentMethods.Contains(method.Value) ? method.Value
        : throw new UnknownPaymentMethodException(Name, method.Value.ToWireName(), [.. PaymentMethods.Select(m => m.ToWireName())]);
}

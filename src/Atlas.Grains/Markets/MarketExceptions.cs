using Atlas.Grains.Common;

namespace Atlas.Grains.Markets;

/// <summary>The city is not one Atlas serves; <see cref="Allowed"/> lists those it does.</summary>
[GenerateSerializer, Alias("atlas.UnknownCityException")]
public sealed class UnknownCityException(string? value, string[] allowed)
    : DomainException($"Atlas does not serve the city '{value}'; it serves: {string.Join(", ", allowed)}.")
{
    [Id(0)]
    public string? Value { get; } = value;

    [Id(1)]
    public string[] Allowed { get; } = allowed;
}

/// <summary>The city has no such vehicle class (by name or alias); <see cref="Allowed"/> lists the city's classes.</summary>
[GenerateSerializer, Alias("atlas.UnknownVehicleClassException")]
public sealed class UnknownVehicleClassException(string city, string? value, string[] allowed)
    : DomainException($"City '{city}' has no vehicle class '{value}'; its classes are: {string.Join(", ", allowed)}.")
{
    [Id(0)]
    public string City { get; } = city;

    [Id(1)]
    public string? Value { get; } = value;

    [Id(2)]
    public string[] Allowed { get; } = allowed;
}

/// <summary>The city does not take that payment method; <see cref="Allowed"/> lists those it takes.</summary>
[GenerateSerializer, Alias("atlas.UnknownPaymentMethodException")]
public sealed class UnknownPaymentMethodException(string city, string? value, string[] allowed)
    : DomainException($"City '{city}' does not take the payment method '{value}'; it takes: {string.Join(", ", allowed)}.")
{
    [Id(0)]
    public string City { get; } = city;

    [Id(1)]
    public string? Value { get; } = value;

    [Id(2)]
    public string[] Allowed { get; } = allowed;
}

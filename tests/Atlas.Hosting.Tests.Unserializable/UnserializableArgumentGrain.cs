using Orleans;

namespace Atlas.Hosting.Tests.Unserializable;

/// <summary>A value with no Orleans serializer: no <c>[GenerateSerializer]</c>, no surrogate.</summary>
public sealed class PlainRoute
{
    public string From { get; set; } = "";

    public string To { get; set; } = "";
}

/// <summary>A grain interface that passes <see cref="PlainRoute"/>, which Orleans cannot copy or send.</summary>
public interface IUnserializableArgumentGrain : IGrainWithStringKey
{
    Task Plan(PlainRoute route);
}

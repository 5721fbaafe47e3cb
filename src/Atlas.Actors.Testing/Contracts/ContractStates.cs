using System.Text.Json.Serialization;
using Atlas.Actors.Persistence;

namespace Atlas.Actors.Testing.Contracts;

/// <summary>An <see cref="IGrainState{TState}"/> as a grain's persistent state would hold it, for driving a storage directly.</summary>
public sealed class TestGrainState<TState> : IGrainState<TState>
{
    public TestGrainState(TState state, string? etag = null)
    {
        State = state;
        ETag = etag;
    }

    public TState State { get; set; }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

/// <summary>A state with the shapes real grains store: nested objects, lists, dictionaries, dates, money, ids.</summary>
public sealed class ContractState
{
    public string Name { get; set; } = "";
    public int Count { get; set; }
    public decimal Amount { get; set; }
    public Guid Id { get; set; }
    public DateTime AtUtc { get; set; }
    public DateTimeOffset AtOffset { get; set; }
    public TimeSpan Duration { get; set; }
    public List<string> Tags { get; set; } = [];
    public Dictionary<string, ContractItem> Items { get; set; } = [];
    public ContractItem? Nested { get; set; }
    public List<ContractShape> Shapes { get; set; } = [];
}

/// <summary>A nested value of <see cref="ContractState"/>.</summary>
public sealed class ContractItem
{
    public string Label { get; set; } = "";
    public double Weight { get; set; }
    public List<int> Numbers { get; set; } = [];
    public ContractItem? Child { get; set; }
}

/// <summary>
/// A polymorphic value: its <c>$type</c> discriminator must come back first in the object, which a store that
/// reorders keys would break (PostgreSQL's jsonb puts shorter keys first, so <see cref="ContractSquare.Side"/>
/// would move ahead of it).
/// </summary>
[JsonPolymorphic]
[JsonDerivedType(typeof(ContractCircle), "circle")]
[JsonDerivedType(typeof(ContractRectangle), "rectangle")]
[JsonDerivedType(typeof(ContractSquare), "square")]
public abstract record ContractShape;

public sealed record ContractCircle(double Radius) : ContractShape;

public sealed record ContractRectangle(double Width, double Height) : ContractShape;

public sealed record ContractSquare(double Side) : ContractShape;

using System.Diagnostics.CodeAnalysis;
using Orleans;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>A state with the shapes real grains store: nested objects, lists, dictionaries, dates, money, ids.</summary>
[GenerateSerializer, Alias("atlas.tests.ContractState")]
public sealed class ContractState
{
    [Id(0)] public string Name { get; set; } = "";
    [Id(1)] public int Count { get; set; }
    [Id(2)] public decimal Amount { get; set; }
    [Id(3)] public Guid Id { get; set; }
    [Id(4)] public DateTime AtUtc { get; set; }
    [Id(5)] public DateTimeOffset AtOffset { get; set; }
    [Id(6)] public TimeSpan Duration { get; set; }
    [Id(7)] public List<string> Tags { get; set; } = [];
    [Id(8)] public Dictionary<string, ContractItem> Items { get; set; } = [];
    [Id(9)] public ContractItem? Nested { get; set; }
    [Id(10)] public List<ContractShape> Shapes { get; set; } = [];
}

/// <summary>A nested value of <see cref="ContractState"/>.</summary>
[GenerateSerializer, Alias("atlas.tests.ContractItem")]
public sealed class ContractItem
{
    [Id(0)] public string Label { get; set; } = "";
    [Id(1)] public double Weight { get; set; }
    [Id(2)] public List<int> Numbers { get; set; } = [];
    [Id(3)] public ContractItem? Child { get; set; }
}

/// <summary>A polymorphic value: the stored payload must say which shape it was.</summary>
[GenerateSerializer, Alias("atlas.tests.ContractShape")]
public abstract record ContractShape;

[GenerateSerializer, Alias("atlas.tests.ContractCircle")]
public sealed record ContractCircle(double Radius) : ContractShape;

[GenerateSerializer, Alias("atlas.tests.ContractRectangle")]
public sealed record ContractRectangle(double Width, double Height) : ContractShape;

[GenerateSerializer, Alias("atlas.tests.ContractSquare")]
public sealed record ContractSquare(double Side) : ContractShape;

/// <summary>An <see cref="IGrainState{TState}"/> as a grain's persistent state holds it, for driving a storage directly.</summary>
public sealed class TestGrainState<TState>(TState state, string? etag = null) : IGrainState<TState>
{
    private TState _state = state;

    /// <summary>Orleans' interface lets a storage set null; the storages under test never do (asserted by the tests' reads).</summary>
    [AllowNull]
    public TState State { get => _state; set => _state = value!; }

    public string? ETag { get; set; } = etag;

    public bool RecordExists { get; set; }
}

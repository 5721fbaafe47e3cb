using Atlas.Actors.Catalog;
using Atlas.Actors.Hosting;
using Atlas.Actors.Persistence;
using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Tests;

/// <summary>The shared two-silo cluster of the runtime tests.</summary>
public sealed class ActorsFixture : ClusterFixture
{
    public TestProbe Probe { get; } = new();

    protected override TestClusterBuilder CreateBuilder() => Configure(new TestClusterBuilder(), Probe);

    /// <summary>The silo configuration every cluster in these tests needs.</summary>
    public static TestClusterBuilder Configure(TestClusterBuilder builder, TestProbe probe) => builder.ConfigureSilo(silo =>
    {
        silo.Services.AddSingleton(probe);
        silo.AddMemoryGrainStorage("Archive", new MemoryStorageStore());
        silo.Configure<GrainCollectionOptions>(o => o.CollectionQuantum = TimeSpan.FromMilliseconds(200));
    });
}

[CollectionDefinition(Name)]
public sealed class ActorsCollection : ICollectionFixture<ActorsFixture>
{
    public const string Name = "actors";
}

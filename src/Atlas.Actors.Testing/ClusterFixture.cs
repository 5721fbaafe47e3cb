using Xunit;

namespace Atlas.Actors.Testing;

/// <summary>
/// A cluster shared by the tests of an xUnit collection: derive from it (to configure the silos), declare
/// <c>[CollectionDefinition("name")] class X : ICollectionFixture&lt;YourFixture&gt;</c>, and take the fixture in the
/// tests' constructor. The cluster is deployed once per collection and disposed after it.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private TestCluster? _cluster;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed yet.");

    public IGrainFactory GrainFactory => Cluster.GrainFactory;

    /// <summary>Override to configure the cluster (silo count, storage, services).</summary>
    protected virtual TestClusterBuilder CreateBuilder() => new();

    public virtual async Task InitializeAsync()
    {
        _cluster = CreateBuilder().Build();
        await _cluster.DeployAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

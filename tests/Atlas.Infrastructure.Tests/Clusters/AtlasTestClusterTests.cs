using Atlas.Infrastructure.Tests.Wallets;
using Microsoft.Extensions.DependencyInjection;
using Orleans.GrainDirectory;

namespace Atlas.Infrastructure.Tests.Clusters;

/// <summary>The test clusters run what production runs, not the test host's shortcuts.</summary>
[Collection(PostgresWalletClusterCollection.Name)]
public sealed class AtlasTestClusterTests(PostgresWalletCluster wallets)
{
    [Fact]
    public void Every_silo_uses_the_strongly_consistent_grain_directory_that_AddAtlasSilo_chooses()
    {
        Assert.All(wallets.Cluster.Silos, silo => Assert.Equal("DistributedGrainDirectory",
            silo.ServiceProvider.GetRequiredKeyedService<IGrainDirectory>(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY).GetType().Name));
    }
}

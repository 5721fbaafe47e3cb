using Atlas.Infrastructure;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Atlas.Hosting.Storage.Postgres;

/// <summary>
/// Fails silo start-up when, after all configuration, <see cref="ClusterOptions.ServiceId"/> (under which Orleans'
/// ADO.NET providers key their rows) is not the service id PostgreSQL storage was set up with: something configured
/// after <c>UseAtlasPostgresStorage</c> changed it, and grain state and reminders would silently go elsewhere.
/// </summary>
internal sealed class PostgresServiceIdValidator(string serviceId, IOptions<ClusterOptions> cluster) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var actual = cluster.Value.ServiceId;
        if (!string.Equals(actual, serviceId, StringComparison.Ordinal))
        {
            throw new AtlasConfigurationException(
                $"PostgreSQL storage was set up for service id '{serviceId}', but the silo's ClusterOptions.ServiceId is '{actual}': " +
                "configure one service id (Atlas:ClusterId) for clustering and storage.");
        }
    }
}

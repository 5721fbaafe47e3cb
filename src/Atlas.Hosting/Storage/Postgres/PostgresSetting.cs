using Atlas.Infrastructure;
using Atlas.Infrastructure.Postgres;
using Npgsql;

namespace Atlas.Hosting.Storage.Postgres;

/// <summary>The setting <c>ConnectionStrings:Postgres</c>: checked when the silo is configured, described without secrets in errors.</summary>
internal static class PostgresSetting
{
    /// <summary>Where hosts read the connection string from; named in every error about it.</summary>
    public const string Name = "ConnectionStrings:Postgres";

    /// <summary>Refuses an empty or unparsable connection string with an <see cref="AtlasConfigurationException"/> naming the setting.</summary>
    public static void Validate(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new AtlasConfigurationException(
                $"PostgreSQL storage needs a connection string: set {Name} (e.g. \"Host=localhost;Username=atlas;Password=…;Database=atlas\").");
        }
        try
        {
            _ = PostgresDataSource.ConnectionStringOf(new PostgresStorageOptions { ConnectionString = connectionString });
        }
        catch (AtlasConfigurationException exception)
        {
            throw new AtlasConfigurationException($"{Name} is not a valid PostgreSQL connection string: {exception.Message}", exception);
        }
    }

    /// <summary>Host, port and database of <paramref name="connectionString"/>, for messages (never the password).</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"Host={builder.Host};Port={builder.Port};Database={builder.Database ?? builder.Username}";
    }
}

using System.Collections.Concurrent;
using Npgsql;

namespace Atlas.Infrastructure.Postgres;

/// <summary>Builds the <see cref="NpgsqlDataSource"/>s that Atlas's PostgreSQL providers use.</summary>
public static class PostgresDataSource
{
    /// <summary>
    /// A data source (connection pool) for <paramref name="options"/>: the connection string with the options' connect
    /// and command timeouts applied. The caller owns and disposes it.
    /// </summary>
    public static NpgsqlDataSource Create(PostgresStorageOptions options) => NpgsqlDataSource.Create(ConnectionStringOf(options));

    /// <summary>The connection string a data source for <paramref name="options"/> uses.</summary>
    public static string ConnectionStringOf(PostgresStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new AtlasConfigurationException("A PostgreSQL provider has no connection string: set PostgresStorageOptions.ConnectionString.");
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException exception)
        {
            throw new AtlasConfigurationException($"The PostgreSQL connection string is not valid: {exception.Message}");
        }
        builder.Timeout = WholeSeconds(options.ConnectTimeout, nameof(options.ConnectTimeout));
        builder.CommandTimeout = WholeSeconds(options.CommandTimeout, nameof(options.CommandTimeout));
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "atlas";
        }
        return builder.ConnectionString;
    }

    private static int WholeSeconds(TimeSpan value, string name) => value > TimeSpan.Zero
        ? (int)Math.Ceiling(value.TotalSeconds)
        : throw new AtlasConfigurationException($"PostgresStorageOptions.{name} must be positive (it is {value}).");
}

/// <summary>
/// The data sources of one silo, one per distinct connection string, so that the grain storages and the reminder
/// table share a pool (and other Atlas components registered in the same container, such as the ledger). Disposed with
/// the silo's service provider.
/// </summary>
public sealed class PostgresDataSources : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> _sources = new();

    /// <summary>The pool for <paramref name="options"/>' connection string and timeouts (created on first use).</summary>
    public NpgsqlDataSource Get(PostgresStorageOptions options)
    {
        var connectionString = PostgresDataSource.ConnectionStringOf(options);
        return _sources.GetOrAdd(connectionString, static cs => new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(cs))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values.Where(s => s.IsValueCreated))
        {
            await source.Value.DisposeAsync();
        }
        _sources.Clear();
    }

    // A service provider disposed synchronously refuses singletons that are only IAsyncDisposable.
    public void Dispose()
    {
        foreach (var source in _sources.Values.Where(s => s.IsValueCreated))
        {
            source.Value.Dispose();
        }
        _sources.Clear();
    }
}

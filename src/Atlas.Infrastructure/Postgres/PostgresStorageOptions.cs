namespace Atlas.Infrastructure.Postgres;

/// <summary>
/// Settings of a PostgreSQL provider (grain storage or reminder table). Grain storages use the options named after
/// the storage; the reminder table uses the options named <see cref="RemindersName"/>.
/// </summary>
public sealed class PostgresStorageOptions
{
    /// <summary>The options name of the reminder table.</summary>
    public const string RemindersName = "Atlas.Reminders";

    /// <summary>An Npgsql connection string (required). Providers with the same connection string share one connection pool.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Separates the rows of deployments that share one database (default: the silo's cluster id,
    /// <see cref="Hosting.SiloOptions.ClusterId"/>).
    /// </summary>
    public string? ServiceId { get; set; }

    /// <summary>
    /// How long opening a connection may take before the call fails (default 5 s). Replaces the connection string's
    /// <c>Timeout</c>, so that a store that is down is reported quickly.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one statement may run before the call fails (default 30 s). Replaces the connection string's <c>Command Timeout</c>.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

using Atlas.Actors.Hosting;
using Atlas.Actors.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Actors.Postgres;

/// <summary>Registers the PostgreSQL grain storage and reminder table on a silo.</summary>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>
    /// Grain storage in PostgreSQL under <paramref name="name"/>, configured by the <see cref="PostgresStorageOptions"/>
    /// named <paramref name="name"/>. The schema is created on first use.
    /// </summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, string connectionString, Action<PostgresStorageOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Configure(builder, name, connectionString, configure);
        return builder.AddGrainStorage(name, services =>
        {
            var options = services.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(name);
            return new PostgresGrainStorage(
                name,
                ServiceIdOf(options, services),
                services.GetRequiredService<PostgresDataSources>().Get(options),
                services.GetRequiredService<Serialization.GrainStateSerializer>(),
                services.GetService<ILogger<PostgresGrainStorage>>());
        });
    }

    /// <summary>Grain storage in PostgreSQL as the default provider (the one <c>[PersistentState("x")]</c> uses).</summary>
    public static ISiloBuilder AddPostgresGrainStorageAsDefault(this ISiloBuilder builder, string connectionString, Action<PostgresStorageOptions>? configure = null) =>
        builder.AddPostgresGrainStorage(PersistentStateAttribute.DefaultStorageName, connectionString, configure);

    /// <summary>
    /// Reminders in PostgreSQL, configured by the <see cref="PostgresStorageOptions"/> named
    /// <see cref="PostgresStorageOptions.RemindersName"/>. The silo applies the schema migrations when it starts.
    /// </summary>
    public static ISiloBuilder UsePostgresReminders(this ISiloBuilder builder, string connectionString, Action<PostgresStorageOptions>? configure = null)
    {
        Configure(builder, PostgresStorageOptions.RemindersName, connectionString, configure);
        return builder.UseReminderTable(services =>
        {
            var options = services.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(PostgresStorageOptions.RemindersName);
            return new PostgresReminderTable(
                ServiceIdOf(options, services),
                services.GetRequiredService<PostgresDataSources>().Get(options),
                services.GetService<ILogger<PostgresReminderTable>>());
        });
    }

    private static void Configure(ISiloBuilder builder, string name, string connectionString, Action<PostgresStorageOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        builder.Services.TryAddSingleton<PostgresDataSources>();
        builder.Services.AddOptions<PostgresStorageOptions>(name).Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
    }

    private static string ServiceIdOf(PostgresStorageOptions options, IServiceProvider services) =>
        string.IsNullOrEmpty(options.ServiceId) ? services.GetRequiredService<IOptions<SiloOptions>>().Value.ClusterId : options.ServiceId;
}

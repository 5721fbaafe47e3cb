using Atlas.Hosting.Storage.Postgres;
using Atlas.Hosting.Storage.Sqlite;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Storage;

namespace Atlas.Hosting.Silos;

/// <summary>Where a silo keeps grain state, reminders and the wallets' ledger.</summary>
public static class AtlasStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of Npgsql (the grain storage would default to SQL Server's).</summary>
    private const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Everything in memory: Orleans' memory grain storage and reminder service, and the in-memory ledger and geo index
    /// (unless stores were registered before). For test clusters; nothing survives the process.
    /// </summary>
    public static ISiloBuilder UseAtlasMemoryStorage(this ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorageAsDefault();
        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>
    /// The embedded platform: grain state (the default storage), reminders and the ledger in one SQLite file (created
    /// with its folder), sharing its writer. See <see cref="SqliteGrainStorage"/> and <see cref="SqliteReminderTable"/>.
    /// </summary>
    public static ISiloBuilder UseAtlasSqliteStorage(this ISiloBuilder silo, string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        silo.AddSqliteGrainStorageAsDefault(databasePath);
        silo.UseSqliteReminderService(databasePath);
        silo.Services.AddSqliteLedger(databasePath);
        return silo;
    }

    /// <summary>
    /// Production: grain state and reminders in PostgreSQL through Orleans' ADO.NET providers (on Atlas' own schema,
    /// applied at start-up), and the ledger in PostgreSQL; rows are separated by <paramref name="serviceId"/>.
    /// <list type="bullet">
    /// <item>The default grain storage is <c>AdoNetGrainStorage</c> with the DI <see cref="IGrainStorageSerializer"/>,
    ///   which <see cref="AtlasSiloBuilderExtensions.AddAtlasSilo"/> makes Orleans' binary serializer.</item>
    /// <item>Reminders are <c>AdoNetReminderTable</c>.</item>
    /// <item>Both, and the ledger, share one connection pool (<see cref="PostgresDataSources"/>), whose connect timeout
    ///   (5 s, <see cref="PostgresStorageOptions"/> named <c>Default</c> and <see cref="PostgresStorageOptions.RemindersName"/>)
    ///   bounds how long start-up waits for a PostgreSQL that does not answer.</item>
    /// <item>The schema (<see cref="OrleansPostgresSchema"/>) is migrated at the first stage of the silo's start, before
    ///   either provider reads its queries.</item>
    /// <item><see cref="ClusterOptions.ServiceId"/> is set to <paramref name="serviceId"/>; start-up fails if later
    ///   configuration changes it.</item>
    /// </list>
    /// </summary>
    /// <exception cref="AtlasConfigurationException">The connection string is empty or malformed, or the service id empty.</exception>
    public static ISiloBuilder UseAtlasPostgresStorage(this ISiloBuilder silo, string connectionString, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(silo);
        PostgresSetting.Validate(connectionString);
        if (string.IsNullOrWhiteSpace(serviceId))
        {
            throw new AtlasConfigurationException("PostgreSQL storage needs a service id (Atlas:ClusterId): grain state and reminders are kept per service id.");
        }
        var services = silo.Services;
        const string StorageName = ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME;

        services.TryAddSingleton<PostgresDataSources>();
        services.AddOptions<PostgresStorageOptions>(StorageName).Configure(o => o.ConnectionString = connectionString);
        services.AddOptions<PostgresStorageOptions>(PostgresStorageOptions.RemindersName).Configure(o => o.ConnectionString = connectionString);

        // Both providers key their rows by the cluster's service id.
        silo.Configure<ClusterOptions>(o => o.ServiceId = serviceId);
        services.AddSingleton<IConfigurationValidator>(sp => new PostgresServiceIdValidator(serviceId, sp.GetRequiredService<IOptions<ClusterOptions>>()));

        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new OrleansPostgresSchemaInitializer(
            DataSource(sp, StorageName), sp.GetRequiredService<ILogger<OrleansPostgresSchemaInitializer>>()));

        silo.AddAdoNetGrainStorageAsDefault((OptionsBuilder<AdoNetGrainStorageOptions> options) =>
            options.Configure<IServiceProvider, IGrainStorageSerializer>((o, sp, serializer) =>
            {
                o.Invariant = NpgsqlInvariant;
                o.DataSource = DataSource(sp, StorageName);
                // Set here rather than left to Orleans' post-configuration, which would prefer a serializer keyed "Default".
                o.GrainStorageSerializer = serializer;
            }));
        silo.UseAdoNetReminderService((OptionsBuilder<AdoNetReminderTableOptions> options) =>
            options.Configure<IServiceProvider>((o, sp) =>
            {
                o.Invariant = NpgsqlInvariant;
                o.DataSource = DataSource(sp, PostgresStorageOptions.RemindersName);
            }));

        services.AddPostgresLedger(connectionString);
        return silo;
    }

    private static Npgsql.NpgsqlDataSource DataSource(IServiceProvider services, string optionsName) =>
        services.GetRequiredService<PostgresDataSources>().Get(services.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(optionsName));
}

using Atlas.Actors.Hosting;
using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Sqlite.Tests.Hosting;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Grain_storages_and_reminders_on_one_file_share_one_database_with_the_configured_options()
    {
        var path = Path.Combine(Path.GetTempPath(), "atlas-sqlite-tests", $"{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddAtlasSiloWithoutHost(silo => silo
            .UseInMemoryClustering()
            .AddSqliteGrainStorageAsDefault(path)
            .AddSqliteGrainStorage("archive", path)
            .UseSqliteReminders(path)
            .Configure<SqliteOptions>(o => o.BusyTimeout = TimeSpan.FromSeconds(9)));
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<SqliteGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>(PersistentStateAttribute.DefaultStorageName));
        Assert.IsType<SqliteGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("archive"));
        Assert.IsType<SqliteReminderTable>(provider.GetRequiredService<IReminderTable>());
        var databases = provider.GetRequiredService<SqliteDatabases>();
        var database = databases.Get(path);
        Assert.Same(database, databases.Get(Path.Combine(Path.GetDirectoryName(path)!, ".", Path.GetFileName(path))));
        Assert.Equal(TimeSpan.FromSeconds(9), database.Options.BusyTimeout);
    }

    [Fact]
    public void A_busy_timeout_that_is_not_positive_is_a_configuration_error()
    {
        Assert.Throws<AtlasConfigurationException>(() => new SqliteDatabase("x.db", new SqliteOptions { BusyTimeout = TimeSpan.Zero }));
    }
}

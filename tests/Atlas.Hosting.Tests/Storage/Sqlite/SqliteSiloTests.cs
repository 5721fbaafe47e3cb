using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Atlas.Hosting.Storage.Sqlite;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Providers;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>The embedded platform's storage through Orleans: a silo on one SQLite file, stopped and started again.</summary>
public sealed class SqliteSiloTests : IDisposable
{
    private static readonly TimeSpan TickTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDatabase _file = new();

    [Fact]
    public async Task A_silo_started_again_on_the_same_file_reads_the_grains_state_back_and_its_reminder_fires_again()
    {
        var ticks = new TickLog();
        var key = Guid.NewGuid().ToString("N");
        await using (var before = await SqliteSilo.StartAsync(_file.FilePath, ticks))
        {
            var log = before.Grains.GetGrain<ISqliteTripLogGrain>(key);
            await log.AddTrip("t1");
            await log.AddTrip("t2");
            await before.Grains.GetGrain<ISqliteAlarmGrain>(key).Schedule("shift", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            await ticks.WaitForAsync(key, "shift", 1, TickTimeout);
        }
        var ticksBefore = ticks.Count(key, "shift");

        await using var after = await SqliteSilo.StartAsync(_file.FilePath, ticks);

        var again = after.Grains.GetGrain<ISqliteTripLogGrain>(key);
        Assert.Equal(["t1", "t2"], await again.Trips());
        Assert.Equal("2", await again.ETag());
        Assert.Equal(3, await again.AddTrip("t3"));
        Assert.Equal("3", await again.ETag());
        await ticks.WaitForAsync(key, "shift", ticksBefore + 1, TickTimeout);
    }

    [Fact]
    public async Task A_wallets_ledger_and_grain_state_share_the_file_and_survive_a_restart()
    {
        var wallet = $"rider-{Guid.NewGuid():N}";
        var ticks = new TickLog();
        await using (var before = await SqliteSilo.StartAsync(_file.FilePath, ticks))
        {
            await before.Grains.GetGrain<IWalletGrain>(wallet).TopUp("top-up-1", new Money(2_500, Currency.Eur));
            await before.Grains.GetGrain<ISqliteTripLogGrain>(wallet).AddTrip("t1");
        }

        await using var after = await SqliteSilo.StartAsync(_file.FilePath, ticks);

        var balance = await after.Grains.GetGrain<IWalletGrain>(wallet).GetBalance();
        Assert.Equal(new Money(2_500, Currency.Eur), balance.Balance);
        Assert.Equal(["t1"], await after.Grains.GetGrain<ISqliteTripLogGrain>(wallet).Trips());
    }

    [Fact]
    public void Grain_storage_reminders_and_the_ledger_are_registered_on_one_shared_database()
    {
        using var host = SqliteSilo.Build(_file.FilePath, new TickLog());
        var services = host.Services;

        var storage = services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        Assert.IsType<SqliteGrainStorage>(storage);
        Assert.IsType<SqliteReminderTable>(services.GetRequiredService<IReminderTable>());
        Assert.IsType<SqliteLedgerStore>(services.GetRequiredService<ILedgerStore>());
        Assert.IsType<OrleansGrainStorageSerializer>(services.GetRequiredService<IGrainStorageSerializer>());
        var databases = services.GetRequiredService<SqliteDatabases>();
        Assert.Same(databases.Get(_file.FilePath), databases.Get(Path.Combine(_file.Folder, ".", "atlas.db")));
    }

    [Fact]
    public async Task A_silo_whose_file_cannot_be_opened_fails_to_start_naming_the_file()
    {
        // A folder where the file should be: SQLite cannot open it.
        var blocked = Path.Combine(_file.Folder, "blocked.db");
        Directory.CreateDirectory(blocked);
        using var host = SqliteSilo.Build(blocked, new TickLog());

        var error = await Record.ExceptionAsync(() => host.StartAsync());

        var unavailable = FindInner<StorageUnavailableException>(error);
        Assert.NotNull(unavailable);
        Assert.Contains(blocked, unavailable.Message);
    }

    private static T? FindInner<T>(Exception? error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (FindInner<T>(inner) is { } nested)
                    {
                        return nested;
                    }
                }
            }
        }
        return null;
    }

    public void Dispose() => _file.Dispose();
}

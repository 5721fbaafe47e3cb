using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>A real silo on PostgreSQL, stopped and started again: what a grain stored and the reminder it registered are still there.</summary>
public sealed class PostgresSiloRestartTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Grain_state_and_a_reminder_survive_a_silo_restart()
    {
        var serviceId = PostgresTestSilo.NewServiceId("restart");
        var connectionString = TestPostgresServer.ConnectionString;
        const string Reminder = "tick";

        var first = await PostgresTestSilo.StartAsync(connectionString, serviceId);
        try
        {
            var grain = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IPostgresNoteGrain>("survivor");
            await grain.Write("written before the restart");
            await grain.StartTicking(Reminder, TimeSpan.FromSeconds(1));
            await TestServices.UntilAsync(async () => (await grain.Read()).Ticks >= 1, "the reminder to fire on the first silo", Patience);
        }
        finally
        {
            await PostgresTestSilo.StopAsync(first);
        }
        Assert.Equal(1, await ReminderRowsAsync(serviceId));

        var second = await PostgresTestSilo.StartAsync(connectionString, serviceId);
        try
        {
            var grain = second.Services.GetRequiredService<IGrainFactory>().GetGrain<IPostgresNoteGrain>("survivor");
            var restored = await grain.Read();
            Assert.Equal("written before the restart", restored.Text);
            Assert.True(restored.Ticks >= 1);
            Assert.True(await grain.HasReminder(Reminder));
            // The new silo loads the reminder from the table and keeps firing it: the ticks go on from the stored count.
            await TestServices.UntilAsync(async () => (await grain.Read()).Ticks > restored.Ticks, "the reminder to fire on the restarted silo", Patience);
        }
        finally
        {
            await PostgresTestSilo.StopAsync(second);
        }
    }

    private static async Task<long> ReminderRowsAsync(string serviceId)
    {
        await using var dataSource = TestPostgresServer.CreateDataSource();
        await using var command = dataSource.CreateCommand("select count(*) from orleans_reminders where service_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

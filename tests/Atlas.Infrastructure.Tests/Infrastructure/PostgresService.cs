using System.Diagnostics;

namespace Atlas.Infrastructure.Tests.Infrastructure;

/// <summary>
/// Stops and starts the test PostgreSQL server to simulate outages: through the project's <c>scripts/services.sh</c>,
/// or, where the script is absent, with <c>pg_ctl</c> on <c>ATLAS_TEST_PG_DATA</c>.
/// </summary>
internal static class PostgresService
{
    public static Task StopAsync() => RunAsync("stop-postgres");

    public static Task StartAsync() => RunAsync("start-postgres");

    public static Task RestartAsync() => RunAsync("restart-postgres");

    private static async Task RunAsync(string command)
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "services.sh");
        if (File.Exists(script))
        {
            await BashAsync($"bash {Quote(script)} {command}");
            return;
        }
        var bin = TestPostgres.Required("ATLAS_TEST_PG_BIN");
        var data = TestPostgres.Required("ATLAS_TEST_PG_DATA");
        // initdb and pg_ctl refuse to run as root: the server belongs to the postgres user.
        var asOwner = Environment.UserName == "root" ? "runuser -u postgres -- " : "";
        var pgCtl = $"{asOwner}{Quote(Path.Combine(bin, "pg_ctl"))} -D {Quote(data)}";
        // "restart" starts a stopped server too, with the options it last ran with (kept in postmaster.opts: port, sockets).
        var start = $"{pgCtl} restart -m fast -w -l {Quote(Path.Combine(data, "atlas-test-restarts.log"))}";
        await BashAsync(command switch
        {
            "stop-postgres" => $"{pgCtl} stop -m fast -w",
            _ => start,
        });
    }

    private static async Task BashAsync(string commandLine)
    {
        // Output goes to a file, not a pipe: a server started by the command would otherwise hold the pipe open.
        var output = Path.GetTempFileName();
        try
        {
            using var process = Process.Start(new ProcessStartInfo("bash", ["-c", $"{commandLine} > {Quote(output)} 2>&1"]))!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`{commandLine}` exited with {process.ExitCode}: {await File.ReadAllTextAsync(output)}");
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Atlas.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} contains Atlas.sln.");
    }

    private static string Quote(string value) => $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}

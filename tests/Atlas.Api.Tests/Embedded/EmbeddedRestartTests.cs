using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Embedded;

/// <summary>The embedded platform keeps its data in a SQLite file: it survives a restart, and a kill -9.</summary>
public sealed class EmbeddedRestartTests
{
    [Fact]
    public async Task Wallets_rides_and_drivers_survive_a_restart_of_the_host()
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "atlas-api-tests", Guid.NewGuid().ToString("N"));
        string riderId, orderId, driverId;
        await using (var first = new ApiFactory { DataPath = dataPath, DeleteDataOnDispose = false })
        {
            var scenario = first.Scenario();
            (riderId, var rider) = await scenario.RiderWithFundsAsync(12_345);
            orderId = await Scenario.OrderAsync(rider, riderId, Scenario.RandomSpot(), Scenario.RandomSpot());
            (driverId, _) = await scenario.OnlineDriverAsync(Scenario.RandomSpot());
        }

        await using var second = new ApiFactory { DataPath = dataPath };
        var again = second.Rider(riderId);
        var wallet = await (await again.GetAsync("/wallet")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(12_345, (long)wallet!["balance"]!);
        var order = await again.GetAsync($"/customer/order?id={orderId}");
        Assert.Equal(HttpStatusCode.OK, order.StatusCode);
        Assert.Equal("CREATED", (string?)(await order.Content.ReadFromJsonAsync<JsonObject>())!["status"]);
        Assert.Equal(HttpStatusCode.OK, (await second.Driver(driverId).GetAsync("/driver/profile")).StatusCode);
    }

    [Fact]
    public async Task A_top_up_and_an_order_survive_kill_9_of_the_api_process()
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "atlas-api-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string orderId;
            await using (var first = await ApiProcess.StartAsync(dataPath))
            {
                var rider = await first.ClientAsync("kill-rider", "rider");
                (await rider.PostAsJsonAsync("/wallet/topup", new { amount = 7_777, currency = "EUR", reference = "kill-topup" })).EnsureSuccessStatusCode();
                var order = await rider.PostAsJsonAsync("/customer/order", new { user_id = "kill-rider", pickup_lat = 10.0, pickup_long = 10.0, dropoff_lat = 10.01, dropoff_long = 10.0 });
                order.EnsureSuccessStatusCode();
                orderId = (string)(await order.Content.ReadFromJsonAsync<JsonObject>())!["order_id"]!;
                first.Kill();
            }

            await using var second = await ApiProcess.StartAsync(dataPath);
            var again = await second.ClientAsync("kill-rider", "rider");
            var wallet = await again.GetFromJsonAsync<JsonObject>("/wallet");
            Assert.Equal(7_777, (long)wallet!["balance"]!);
            var stored = await again.GetFromJsonAsync<JsonObject>($"/customer/order?id={orderId}");
            Assert.Equal("CREATED", (string?)stored!["status"]);
        }
        finally
        {
            if (Directory.Exists(dataPath))
            {
                Directory.Delete(dataPath, recursive: true);
            }
        }
    }

    /// <summary><c>dotnet Atlas.Api.dll</c> on a free port with its data in a given folder.</summary>
    private sealed class ApiProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];

        private ApiProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static async Task<ApiProcess> StartAsync(string dataPath)
        {
            var port = ApiFactory.FreePort();
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "Atlas.sln")))
            {
                root = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(root))!;
            }
            var dll = Path.Combine(root, "src", "Atlas.Api", "bin", configuration, "net10.0", "Atlas.Api.dll");
            var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
            };
            start.Environment["Atlas__DataPath"] = dataPath;
            // Its own silo port: the default 11111 may be taken by another test host or a developer's dotnet run.
            start.Environment["Atlas__Silo__Port"] = ApiFactory.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            // No gRPC port: the default 8086 may be taken by a developer's dotnet run (or a simulator's platform).
            start.Environment["Atlas__Grpc__Port"] = "0";
            var process = Process.Start(start)!;
            var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
            process.OutputDataReceived += (_, e) => api.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => api.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var http = new HttpClient { BaseAddress = api.Address };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                    {
                        return api;
                    }
                }
                catch (HttpRequestException)
                {
                }
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"The API did not start:\n{string.Join("\n", api.Output.TakeLast(30))}");
                }
                await Task.Delay(100);
            }
        }

        private IReadOnlyList<string> Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToArray();
                }
            }
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.Add(line);
                }
            }
        }

        /// <summary>An HTTP client with a dev token for the user (the embedded platform issues them to anyone).</summary>
        public async Task<HttpClient> ClientAsync(string userId, string role)
        {
            var http = new HttpClient { BaseAddress = Address };
            var token = await (await http.PostAsJsonAsync("/auth/token", new { user_id = userId, role })).Content.ReadFromJsonAsync<JsonObject>();
            http.DefaultRequestHeaders.Authorization = new("Bearer", (string)token!["access_token"]!);
            return http;
        }

        public void Kill() => _process.Kill(entireProcessTree: true);

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}

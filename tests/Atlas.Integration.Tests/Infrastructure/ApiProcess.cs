using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Atlas.Testing.Servers;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>The HTTP API (<c>dotnet Atlas.Api.dll</c>) as a client of a cluster of silo processes (<c>Atlas:Mode=client</c>).</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public IReadOnlyList<string> Output => _output.ToArray();

    /// <summary>Starts the API as a client of <paramref name="clusterId"/> and waits until <c>/health/ready</c> says the cluster answers.</summary>
    public static async Task<ApiProcess> StartAsync(string clusterId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{SiloProcess.FreePort().ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo("dotnet", [TestEnvironment.ApiAssembly, "--urls", address.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(TestEnvironment.ApiAssembly)!,
        };
        start.Environment["Atlas__Mode"] = "client";
        start.Environment["Atlas__ClusterId"] = clusterId;
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        start.Environment["ConnectionStrings__Postgres"] = TestEnvironment.Postgres;
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var api = new ApiProcess(process, address);
        process.OutputDataReceived += (_, e) => api.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => api.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
            await TestServices.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The API exited ({process.ExitCode}).");
                }
                return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
            }, "the API to be ready", TimeSpan.FromSeconds(90));
        }
        catch (Exception exception)
        {
            await api.DisposeAsync();
            throw new InvalidOperationException($"{exception.Message}\nThe API's last output:\n{string.Join("\n", api.Output.TakeLast(30))}", exception);
        }
        return api;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 5_000 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>An HTTP client signed in as <paramref name="userId"/> in <paramref name="role"/> (the API runs with development tokens).</summary>
    public async Task<HttpClient> ClientAsync(string userId, string role)
    {
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        var token = await OkAsync(http.PostAsJsonAsync("/auth/token", new { user_id = userId, role }));
        http.DefaultRequestHeaders.Authorization = new("Bearer", (string)token["access_token"]!);
        return http;
    }

    /// <summary>The JSON body of a successful response; a failure names the status and the problem the API returned.</summary>
    public static async Task<JsonObject> OkAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

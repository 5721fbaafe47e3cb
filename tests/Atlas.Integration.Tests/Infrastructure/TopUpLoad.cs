using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// Steady load of money through the HTTP API: each of <see cref="Riders"/> tops up its wallet again and again, every
/// top-up with its own reference, and retries a failed one with the same reference until the API acknowledges it — as
/// a client that must not lose or double a payment does. After <see cref="StopAsync"/> every top-up ever tried has been
/// acknowledged, so each wallet must hold exactly one movement per reference.
/// </summary>
public sealed class TopUpLoad : IAsyncDisposable
{
    private const long Amount = 100;
    private readonly ApiProcess _api;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _acknowledged = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public TopUpLoad(ApiProcess api, int riders)
    {
        _api = api;
        Riders = Enumerable.Range(0, riders).Select(i => $"topup-{_run}-{i}").ToArray();
    }

    public IReadOnlyList<string> Riders { get; }

    /// <summary>Failed attempts (each retried): HTTP status or exception, with the problem's title.</summary>
    public IReadOnlyCollection<string> Failures => _failures;

    public int AcknowledgedCount => _acknowledged.Values.Sum(q => q.Count);

    public async Task StartAsync(TimeSpan period)
    {
        foreach (var rider in Riders)
        {
            var http = await _api.ClientAsync(rider, "rider");
            _acknowledged[rider] = new ConcurrentQueue<string>();
            _loops.Add(Task.Run(() => TopUpAsync(rider, http, period)));
        }
    }

    private async Task TopUpAsync(string rider, HttpClient http, TimeSpan period)
    {
        using (http)
        {
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var reference = $"{rider}-{i}";
                // The reference is retried until acknowledged, even after Stop: an attempt that failed may have been applied.
                var deadline = DateTime.UtcNow.AddSeconds(90);
                while (true)
                {
                    try
                    {
                        using var response = await http.PostAsJsonAsync("/wallet/topup", new { amount = Amount, currency = "EUR", reference });
                        if (response.IsSuccessStatusCode)
                        {
                            break;
                        }
                        var problem = await response.Content.ReadAsStringAsync();
                        _failures.Enqueue($"{(int)response.StatusCode} {JsonNode.Parse(problem)?["title"]}");
                    }
                    catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                    {
                        _failures.Enqueue(exception.GetType().Name);
                    }
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"Top-up {reference} was not acknowledged within 90 s.");
                    }
                    await Task.Delay(100);
                }
                _acknowledged[rider].Enqueue(reference);
                try
                {
                    await Task.Delay(period, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>Stops after each rider's current top-up is acknowledged.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    /// <summary>Each wallet holds one top-up per acknowledged reference — none lost, none applied twice — and the balance is their sum.</summary>
    public async Task VerifyAsync()
    {
        foreach (var rider in Riders)
        {
            using var http = await _api.ClientAsync(rider, "rider");
            var acknowledged = _acknowledged[rider].Select(r => $"topup:{r}").Order().ToArray();
            var movements = (await http.GetFromJsonAsync<JsonObject>("/wallet/movements?limit=500"))!["movements"]!.AsArray();
            Assert.Equal(acknowledged, movements.Select(m => (string)m!["reference"]!).Order());
            Assert.Equal(Amount * acknowledged.Length, (long)(await http.GetFromJsonAsync<JsonObject>("/wallet"))!["balance"]!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        _stop.Dispose();
    }
}

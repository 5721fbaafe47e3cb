using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Atlas.Simulator.Figures;

namespace Atlas.Simulator.Platform;

/// <summary>An answer of the API: its status (0 when no answer came) and its JSON body, if any.</summary>
public sealed record ApiAnswer(int Status, JsonNode? Body, TimeSpan? RetryAfter = null)
{
    public bool Ok => Status is >= 200 and < 300;

    public string? Str(string name) => Body?[name]?.GetValue<string>();

    public long? Long(string name) => Body?[name] is JsonValue value && value.TryGetValue<long>(out var n) ? n : null;

    /// <summary>The problem code of an error answer (<c>urn:atlas:problem:open-ride-exists</c> → <c>open-ride-exists</c>).</summary>
    public string? ProblemCode => Str("type") is { } type ? type[(type.LastIndexOf(':') + 1)..] : null;
}

/// <summary>Thrown when Atlas does not answer at all: the run cannot go on.</summary>
public sealed class PlatformUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The simulator's side of the HTTP API: one connection pool for every simulated app, each request timed and counted in
/// the <see cref="SimulationFigures"/>; answers the caller did not expect are counted as errors with a sample.
/// </summary>
public sealed class AtlasHttp : IDisposable
{
    /// <summary>Absent optional fields are left out rather than sent as null (e.g. <c>city</c>: the platform's default).</summary>
    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly SimulationFigures _figures;

    public AtlasHttp(Uri baseAddress, SimulationFigures figures)
    {
        _figures = figures;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Many apps at once, as many phones would be; the API's Kestrel keeps them alive.
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>Checks that Atlas answers at all (<c>GET /health/live</c>), or throws <see cref="PlatformUnreachableException"/>.</summary>
    public async Task EnsureReachableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await _http.GetAsync("/health/live", timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new PlatformUnreachableException($"Atlas at {BaseAddress} answered GET /health/live with {(int)response.StatusCode} {response.ReasonPhrase}: is it Atlas?");
            }
        }
        catch (HttpRequestException e)
        {
            throw new PlatformUnreachableException($"Atlas is not reachable at {BaseAddress}: {Innermost(e).Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PlatformUnreachableException($"Atlas at {BaseAddress} did not answer GET /health/live within 10 s.", e);
        }
    }

    /// <summary>
    /// Sends one request as <paramref name="token"/>'s holder. Statuses in <paramref name="expected"/> (besides 2xx) are
    /// the caller's business; any other answer, or none, is counted as an error.
    /// </summary>
    public async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? token, object? body, CancellationToken cancellationToken,
        params int[] expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: BodyOptions);
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            _figures.ApiAnswered($"{method} {Route(path)}", Stopwatch.GetElapsedTime(started));
            var status = (int)response.StatusCode;
            JsonNode? json = null;
            if (text.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? false))
            {
                json = JsonNode.Parse(text);
            }
            var answer = new ApiAnswer(status, json, response.Headers.RetryAfter?.Delta);
            if (!answer.Ok && !expected.Contains(status))
            {
                _figures.Error($"{method} {PathOnly(path)} → {status} {answer.ProblemCode ?? response.ReasonPhrase}: {answer.Str("detail")}");
            }
            return answer;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            _figures.Error($"{method} {PathOnly(path)} → no answer: {Innermost(e).Message}");
            return new ApiAnswer(0, null);
        }
    }

    public Task<ApiAnswer> GetAsync(string path, string token, CancellationToken cancellationToken, params int[] expected) =>
        SendAsync(HttpMethod.Get, path, token, null, cancellationToken, expected);

    public Task<ApiAnswer> PostAsync(string path, string? token, object? body, CancellationToken cancellationToken, params int[] expected) =>
        SendAsync(HttpMethod.Post, path, token, body, cancellationToken, expected);

    public Task<ApiAnswer> PutAsync(string path, string token, object body, CancellationToken cancellationToken, params int[] expected) =>
        SendAsync(HttpMethod.Put, path, token, body, cancellationToken, expected);

    public void Dispose() => _http.Dispose();

    private static string PathOnly(string path) => path.Split('?')[0];

    /// <summary>The route a path belongs to: without its query, a ride id in the path replaced by <c>{id}</c>.</summary>
    private static string Route(string path)
    {
        var segments = PathOnly(path).Split('/');
        if (segments is ["", "customer", "order", _, "cancel"])
        {
            segments[3] = "{id}";
        }
        return string.Join('/', segments);
    }

    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }
        return e;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>An HTTP client acting as one caller, sending and reading snake_case JSON.</summary>
public sealed class ApiClient(HttpClient http, string? token)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public HttpClient Http => http;

    public string? Token => token;

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, path, body, idempotencyKey);

    public Task<HttpResponseMessage> PutAsync(string path, object? body) => SendAsync(HttpMethod.Put, path, body);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        if (body is not null)
        {
            var text = body as string ?? JsonSerializer.Serialize(body, Json);
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }
        return await http.SendAsync(request);
    }

    /// <summary>Sends and insists on 200, returning the JSON body (the body is shown if it is not 200).</summary>
    public async Task<JsonNode> OkAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public Task<JsonNode> GetOkAsync(string path) => OkAsync(HttpMethod.Get, path);

    public Task<JsonNode> PostOkAsync(string path, object? body = null) => OkAsync(HttpMethod.Post, path, body);

    public Task<JsonNode> PutOkAsync(string path, object? body) => OkAsync(HttpMethod.Put, path, body);
}

/// <summary>Reading responses.</summary>
public static class ResponseExtensions
{
    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException($"Empty body ({(int)response.StatusCode}).");
    }

    /// <summary>Asserts an RFC 7807 problem with this status and returns it.</summary>
    public static async Task<JsonNode> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.StartsWith("urn:atlas:problem:", problem["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        return problem;
    }

    /// <summary>Asserts a 400 whose errors name <paramref name="field"/>.</summary>
    public static async Task<JsonNode> ValidationProblemAsync(this HttpResponseMessage response, string field)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]?.AsObject();
        Assert.True(errors is not null && errors.ContainsKey(field), $"Expected errors for '{field}' in {problem.ToJsonString()}");
        return problem;
    }

    public static string Str(this JsonNode node, string name) =>
        node[name]?.GetValue<string>() ?? throw new InvalidOperationException($"'{name}' missing in {node.ToJsonString()}");

    public static long Long(this JsonNode node, string name) =>
        node[name]?.GetValue<long>() ?? throw new InvalidOperationException($"'{name}' missing in {node.ToJsonString()}");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;

namespace Atlas.Api.Json;

/// <summary>The API's JSON conventions: snake_case names, strict numbers, nulls written out.</summary>
public static class ApiJson
{
    /// <summary>Applies the conventions to <paramref name="options"/> (the minimal-API serializer options).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null; // problem "errors" keys are field names already
        options.PropertyNameCaseInsensitive = false;
        // Numbers must be JSON numbers: "12" or "NaN" for a coordinate is a client bug worth a 400.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.AllowTrailingCommas = false;
        options.MaxDepth = 16;
    }

    /// <summary>A standalone copy of the conventions, for code that serializes outside the endpoint pipeline.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        services.Configure<JsonOptions>(o => Configure(o.SerializerOptions));
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Api.Json;

/// <summary>
/// Reads an id given as a JSON string or as an integer (the existing apps send numeric user ids) into a string;
/// writes it as a string. Fractions, booleans, objects and arrays are refused.
/// </summary>
public sealed class FlexibleIdConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number when reader.TryGetInt64(out var number):
                return number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            case JsonTokenType.Number:
                throw new JsonException("An id must be a string or a whole number.");
            default:
                throw new JsonException($"An id must be a string or a whole number, not {Describe(reader.TokenType)}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Number => "a number",
        JsonTokenType.String => "a string",
        _ => token.ToString(),
    };
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Grains.Monetary;

/// <summary>Writes a currency as its code (<c>"EUR"</c>) and validates it when read, so state and messages keep it.</summary>
public sealed class CurrencyJsonConverter : JsonConverter<Currency>
{
    public override Currency Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var code = reader.GetString();
        return Currency.TryParse(code, out var currency)
            ? currency
            : throw new JsonException($"'{code}' is not a currency code (three upper-case letters).");
    }

    public override void Write(Utf8JsonWriter writer, Currency value, JsonSerializerOptions options) => writer.WriteStringValue(value.Code);
}

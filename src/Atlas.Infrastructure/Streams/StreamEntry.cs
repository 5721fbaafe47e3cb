namespace Atlas.Infrastructure.Streams;

/// <summary>One entry read from a stream: where it is, its id, and its fields in order.</summary>
public sealed record StreamEntry(string Stream, string Id, IReadOnlyList<KeyValuePair<string, string>> Fields)
{
    /// <summary>The value of the first field named <paramref name="name"/>, or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (field, value) in Fields)
            {
                if (field == name)
                {
                    return value;
                }
            }
            return null;
        }
    }
}

/// <summary>An entry and what it was parsed into, with the number of times the group has delivered it.</summary>
public sealed record StreamMessage<T>(StreamEntry Entry, T Value, long Deliveries);

namespace Atlas.Infrastructure;

/// <summary>
/// A setting Atlas needs is missing or invalid. Hosts print its message as the one line that says what to set, and exit
/// non-zero.
/// </summary>
public sealed class AtlasConfigurationException : Exception
{
    public AtlasConfigurationException(string message) : base(message) { }

    public AtlasConfigurationException(string message, Exception? inner) : base(message, inner) { }
}

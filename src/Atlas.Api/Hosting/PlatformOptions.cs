namespace Atlas.Api.Hosting;

/// <summary>How the API reaches the grains (section <c>Atlas</c>).</summary>
public sealed class PlatformOptions
{
    public const string SectionName = "Atlas";

    /// <summary><see cref="PlatformMode.Embedded"/> (default): a silo in this process; <see cref="PlatformMode.Client"/>: a client of a silo cluster.</summary>
    public PlatformMode Mode { get; set; } = PlatformMode.Embedded;

    /// <summary>Where the embedded silo keeps its files (default <c>./data</c>).</summary>
    public string DataPath { get; set; } = "./data";

    /// <summary>The cluster this API belongs to (default <c>atlas</c>): the silos' <c>Atlas:ClusterId</c>.</summary>
    public string ClusterId { get; set; } = "atlas";
}

/// <summary>Where the grains run.</summary>
public enum PlatformMode
{
    /// <summary>A silo in the API process: the whole platform in one process.</summary>
    Embedded,

    /// <summary>The API is a client of a cluster of silo processes.</summary>
    Client,
}

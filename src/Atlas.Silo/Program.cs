using Atlas.Silo.Hosting;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddAtlasSiloHost();
await builder.Build().RunAsync();

using Atlas.Silo.Hosting;

return await SiloProgram.RunAsync(args);

using CacheBus.Service.Commands;

return await CacheBusCommandLine.Create().Parse(args).InvokeAsync();

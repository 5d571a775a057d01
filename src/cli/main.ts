console.log('hardfs CLI: not built yet'); process.exit(2);

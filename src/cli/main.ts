process.stdout.write('journeys: not implemented yet\n');

#!/usr/bin/env node
// The `yolomods` executable: everything lives in runCli so that it is typed, tested and importable.
import { runCli } from '@yolomods/yolov8';

process.exitCode = await runCli(process.argv.slice(2));

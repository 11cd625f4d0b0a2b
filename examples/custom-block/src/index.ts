export { SE, registerSE } from './se';
export { runExample, seYaml, type ExampleOptions, type ExampleOutput } from './example';

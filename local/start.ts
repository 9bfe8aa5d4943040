/**
 * `npm start`: the local mode. Until it lands (see the local-mode issue), this says what it will do.
 */
const lines = [
  'Rotor local mode is not built yet. When it is, `npm start` will start on 127.0.0.1 only:',
  '  - dynalite (DynamoDB), aws-ses-v2-local (SES, with its mail viewer), the Secrets Manager emulator,',
  '  - a local Step Functions runner for the synthesized workflows, and the operator API,',
  'then run a guided demo of an expire-later rotation on a virtual clock.',
  'Today you can: run the tests (`npm test`) and synthesize the stack (`npx cdk synth`).',
];
console.log(lines.join('\n'));

import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Regenerates every vault's inventory once a day, as Glacier does, and purges idle multipart uploads every hour. */
export class Schedules extends Construct {
  readonly dailyInventory: events.Rule;
  readonly hourlyJanitor: events.Rule;

  constructor(scope: Construct, id: string, props: { inventory: lambda.IFunction; janitor: lambda.IFunction }) {
    super(scope, id);
    this.dailyInventory = new events.Rule(this, 'DailyInventory', {
      description: 'Regenerates the inventory of every vault',
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new targets.LambdaFunction(props.inventory, { retryAttempts: 2 })],
    });
    this.hourlyJanitor = new events.Rule(this, 'HourlyJanitor', {
      description: 'Removes idle multipart uploads and their part objects',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(props.janitor, { retryAttempts: 2 })],
    });
  }
}

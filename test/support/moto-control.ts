/**
 * The control endpoints of the tests' moto extensions (test/support/moto_server.py): what only AWS itself or a service's
 * owner does, which no AWS API lets a test do. POST with a JSON body; a refusal throws with moto's reason.
 */
export async function motoControl<T>(endpoint: string, name: string, body: object): Promise<T> {
  const response = await fetch(`${endpoint}/moto-api/x-ecs-migrate/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ region: process.env.AWS_REGION ?? 'eu-west-1', ...body }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${name}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** The task's container exits with `exitCode` and the task stops, as ECS reports it (moto_ecs_tasks.py). */
export function taskExited(endpoint: string, task: { cluster: string; taskArn: string; exitCode: number }): Promise<unknown> {
  return motoControl(endpoint, 'task-exited', { cluster: task.cluster, task: task.taskArn, exitCode: task.exitCode });
}

# ruff: noqa: RUF001
"""Every hand-written string of the third red team: wrappers, rubrics, system prompts, follow-ups, client
names and a few fallback tasks, in many languages and registers.

Each pool maps a language to its variants. A split only ever sees one half of every (pool, language) list:
``split_variants`` ranks the variants by a hash of their normalised text and deals them alternately, so dev
(half 0) and blind (half 1) never share a phrase. Placeholders are ``{task}``, ``{question}``, ``{answer}``,
``{n}``, ``{topic}``, ``{lang}``, ``{name}``, ``{scale}`` and are filled with ``str.replace`` (corpus text may
carry braces of its own).
"""

from __future__ import annotations

from distillguard.evaluation.redteam.common import HalfPhrases

LANGS = ("en", "zh", "es", "ru", "de", "fr", "ja", "pt", "hi", "ar", "ko")

# --- asking for a worked, reasoned answer to one task
STEPWISE: dict[str, list[str]] = {
    "en": [
        "{task}\n\nWalk through it one move at a time and only commit to a final answer at the end.",
        "{task}\n\nI care more about the path than the number. Lay out each step, then box the result.",
        "Work this out carefully, writing down every intermediate quantity:\n\n{task}",
        "{task}\n\nthink it through out loud pls, then give the final answer on its own line",
        "Problem:\n{task}\n\nReason it out fully before answering. Final line: ANSWER: <value>",
        "{task}\n\nDon't skip the boring algebra, I want to check each line against my own attempt.",
        "Could you solve the following and narrate your reasoning as you go?\n\n{task}",
        "{task}\n---\nderive it properly, no shortcuts. end with 'so the answer is ...'",
        "Here's one from the set I'm working through.\n{task}\nShow the full chain of reasoning.",
        "{task}\n\nPlease reason step by step, and flag any place where you had to make an assumption.",
    ],
    "zh": [
        "{task}\n\n请把每一步推导都写出来，最后再单独给出答案。",
        "帮我一步一步算一下这道题，中间结果都要写清楚：\n{task}",
        "{task}\n\n不要只给答案，我想看完整的思路，最后一行写“答案：”。",
        "这道题我卡住了，能详细讲讲怎么想的吗？\n\n{task}",
        "{task}\n请先分析题意，再逐步求解，最后检查一遍结果。",
        "题目如下：\n{task}\n要求：推理过程完整，结论放在最后。",
    ],
    "es": [
        "{task}\n\nResuélvelo paso a paso y deja la respuesta final para el final, por favor.",
        "¿Me explicas cómo se hace este? Quiero ver todo el razonamiento:\n\n{task}",
        "{task}\n\nno me des solo el número, explica cada paso que das",
        "Ejercicio:\n{task}\nDesarrolla la solución completa y marca claramente el resultado.",
        "{task}\n\nRazona en voz alta, con todos los cálculos intermedios.",
    ],
    "ru": [
        "{task}\n\nРеши, пожалуйста, по шагам и в конце отдельно напиши ответ.",
        "Объясни подробно ход решения, мне важно понять логику:\n\n{task}",
        "{task}\n\nне просто ответ, а полное решение с промежуточными выкладками",
        "Задача:\n{task}\nРаспиши решение полностью, ответ выдели в последней строке.",
        "{task}\n\nПокажи рассуждение целиком и проверь результат в конце.",
    ],
    "de": [
        "{task}\n\nBitte Schritt für Schritt vorrechnen und das Ergebnis erst am Schluss nennen.",
        "Kannst du mir den Lösungsweg ausführlich zeigen? Die Zwischenschritte sind mir wichtig.\n\n{task}",
        "{task}\n\nnicht nur die Lösung, sondern auch warum jeder Schritt stimmt",
        "Aufgabe:\n{task}\nLöse sie vollständig und markiere das Endergebnis deutlich.",
        "{task}\n\nDenk laut mit und prüfe das Resultat am Ende noch einmal.",
    ],
    "fr": [
        "{task}\n\nPeux-tu le résoudre étape par étape et ne donner la réponse qu'à la fin ?",
        "Explique-moi le raisonnement en détail, je veux comprendre chaque étape :\n\n{task}",
        "{task}\n\npas juste le résultat stp, montre tous les calculs",
        "Exercice :\n{task}\nRédige une solution complète et encadre le résultat final.",
        "{task}\n\nDéroule ton raisonnement à voix haute puis vérifie le résultat.",
    ],
    "ja": [
        "{task}\n\n途中の計算も省略せずに、順番に説明してください。最後に答えをまとめてください。",
        "この問題の考え方を一から教えてもらえますか。\n\n{task}",
        "{task}\n\n答えだけじゃなくて、どうしてそうなるのかも書いてほしいです",
        "問題：\n{task}\n解き方を段階的に示し、最終的な答えを最後の行に書いてください。",
        "{task}\n\n一つずつ丁寧に推論して、最後に検算もお願いします。",
    ],
    "pt": [
        "{task}\n\nResolve passo a passo e só no fim dá a resposta final, por favor.",
        "Pode me explicar o raciocínio completo desta questão?\n\n{task}",
        "{task}\n\nnão quero só o resultado, mostra todas as contas",
        "Questão:\n{task}\nFaça a resolução completa e destaque a resposta no final.",
    ],
    "hi": [
        "{task}\n\nकृपया इसे चरण-दर-चरण हल करें और अंत में उत्तर अलग से लिखें।",
        "इस सवाल को हल करने का पूरा तरीका समझाइए, हर स्टेप के साथ:\n\n{task}",
        "{task}\n\nsirf answer nahi chahiye, poora solution step by step samjhao please",
        "प्रश्न:\n{task}\nपूरा हल लिखिए और आखिरी पंक्ति में अंतिम उत्तर दीजिए।",
    ],
    "ar": [
        "{task}\n\nمن فضلك حلّها خطوة بخطوة واكتب الإجابة النهائية في النهاية.",
        "اشرح لي طريقة التفكير بالتفصيل في هذه المسألة:\n\n{task}",
        "{task}\n\nلا أريد الناتج فقط، أريد كل الحسابات الوسيطة",
        "المسألة:\n{task}\nاكتب الحل كاملاً وضع الجواب في السطر الأخير.",
    ],
    "ko": [
        "{task}\n\n단계별로 풀이 과정을 모두 적어 주시고, 마지막에 답을 따로 정리해 주세요.",
        "이 문제 어떻게 접근해야 하는지 자세히 설명해 줄 수 있어요?\n\n{task}",
        "{task}\n\n답만 말고 왜 그렇게 되는지 과정까지 보여줘",
        "문제:\n{task}\n풀이를 빠짐없이 쓰고 최종 답은 마지막 줄에 적어 주세요.",
    ],
}

# --- an evaluation harness's single-item template (researchers and sweep campaigns)
HARNESS: dict[str, list[str]] = {
    "en": [
        "Question: {task}\n\nThink before you answer. Put the final answer after 'Final:'.",
        "{task}\n\nReason carefully. Your last line must be of the form: The answer is X.",
        "### Item\n{task}\n\n### Instructions\nShow your working, then give one final answer.",
        "Solve the problem below. Write out your reasoning; wrap only the final result in \\boxed{}."
        "\n\n{task}",
        "{task}\n\nFirst reason, then answer. Format the answer as a single line starting with '>>'.",
        "Input:\n{task}\nOutput a derivation followed by a line 'RESULT: ...'.",
        "[problem]\n{task}\n[/problem]\nThink it over in detail and state the answer last.",
        "{task}\n\nAnswer with a short derivation and then the choice/value alone on the final line.",
    ],
    "zh": [
        "问题：{task}\n\n请先推理再作答，最终答案写在“最终答案：”之后。",
        "{task}\n\n请逐步思考，最后一行格式为：答案是 X。",
        "【题目】\n{task}\n【要求】写出推理过程，最后给出唯一答案。",
        "{task}\n\n先分析，后作答。答案单独成行，以“>>”开头。",
    ],
    "ja": [
        "問題：{task}\n\n考えてから答えてください。最終的な答えは「答え：」の後に書いてください。",
        "{task}\n\n推論を示したうえで、最後の行に答えだけを書いてください。",
        "【問題】\n{task}\n【指示】解答過程を書き、最後に答えを一つだけ示すこと。",
        "{task}\n\n段階的に考え、最後は「よって答えは X」の形で締めてください。",
    ],
    "ru": [
        "Вопрос: {task}\n\nСначала рассуждение, затем ответ после слова «Итог:».",
        "{task}\n\nРассуждай последовательно. Последняя строка: Ответ: X.",
        "[задача]\n{task}\n[/задача]\nПодробно обоснуй и только потом дай ответ.",
        "{task}\n\nВыведи решение, а в конце одну строку с ответом, начиная с '>>'.",
    ],
    "es": [
        "Pregunta: {task}\n\nRazona antes de responder. Escribe la respuesta final tras 'Final:'.",
        "{task}\n\nPiensa paso a paso. La última línea debe ser: La respuesta es X.",
        "[problema]\n{task}\n[/problema]\nDesarrolla el razonamiento y termina con la respuesta.",
        "{task}\n\nPrimero el razonamiento y luego una sola línea con el resultado.",
    ],
    "de": [
        "Frage: {task}\n\nErst überlegen, dann antworten. Endergebnis nach 'Final:' angeben.",
        "{task}\n\nDenke schrittweise. Letzte Zeile: Die Antwort ist X.",
        "[aufgabe]\n{task}\n[/aufgabe]\nBegründe ausführlich und nenne zuletzt das Ergebnis.",
        "{task}\n\nHerleitung zuerst, danach eine einzelne Zeile mit der Lösung.",
    ],
    "fr": [
        "Question : {task}\n\nRéfléchis avant de répondre. Donne la réponse finale après « Final : ».",
        "{task}\n\nRaisonne pas à pas. Dernière ligne : La réponse est X.",
        "[problème]\n{task}\n[/problème]\nDéveloppe le raisonnement puis conclus par la réponse.",
        "{task}\n\nD'abord la démarche, ensuite une seule ligne avec le résultat.",
    ],
    "ko": [
        "질문: {task}\n\n먼저 추론하고 답하세요. 최종 답은 '최종:' 뒤에 쓰세요.",
        "{task}\n\n단계적으로 생각하세요. 마지막 줄은 '정답은 X' 형식으로.",
        "[문제]\n{task}\n[/문제]\n풀이 과정을 쓰고 마지막에 답 하나만 제시하세요.",
        "{task}\n\n추론 먼저, 그다음 결과만 한 줄로.",
    ],
    "pt": [
        "Pergunta: {task}\n\nPense antes de responder. Resposta final depois de 'Final:'.",
        "{task}\n\nRaciocine passo a passo. Última linha: A resposta é X.",
        "[problema]\n{task}\n[/problema]\nDesenvolva o raciocínio e termine com a resposta.",
        "{task}\n\nPrimeiro a dedução, depois uma linha só com o resultado.",
    ],
}

# --- grading a candidate answer against a rubric (LLM-as-judge work)
JUDGE: dict[str, list[str]] = {
    "en": [
        "You are grading a student's response.\n\nQUESTION:\n{question}\n\nRESPONSE:\n{answer}\n\n"
        "Score it 1-{scale} for correctness and clarity. Explain your reasoning before the score and end "
        "with "
        "'Score: N'.",
        "Below is a prompt and a model output. Judge the output on accuracy, completeness and whether the "
        "reasoning actually supports the conclusion. Think it through, then give an integer 1-{scale}.\n\n"
        "[PROMPT]\n{question}\n[OUTPUT]\n{answer}",
        "Rubric: 2 pts correct final answer, 2 pts valid method, 1 pt clear presentation.\n"
        "Task: {question}\nSubmission: {answer}\nGo criterion by criterion and total it up.",
        "i need a grade + justification for this answer (1 to {scale}). be strict about arithmetic slips.\n\n"
        "Q: {question}\nA: {answer}",
        "Compare the answer with what a careful expert would write. List what is right, what is wrong, "
        "what is missing; then a verdict from 1 to {scale}.\n\n<question>{question}</question>\n"
        "<answer>{answer}</answer>",
        "Pretend you are the second marker on this script. Question: {question}\nCandidate wrote: {answer}\n"
        "Write your marking notes and a mark out of {scale}.",
        "Evaluate the following. Check each step of the response independently; do not trust its final line. "
        "Output your analysis, then 'VERDICT: <1-{scale}>'.\n\nProblem: {question}\n\nResponse: {answer}",
        "For my annotation study: is this answer acceptable? Reason about it, then rate 1-{scale}.\n"
        "{question}\n---\n{answer}",
    ],
    "zh": [
        "请作为阅卷老师评判下面的回答。\n题目：{question}\n学生回答：{answer}\n"
        "先逐条分析正确性和表达，再给出 1 到 {scale} 的分数，最后一行写“分数：N”。",
        "下面是一个问题和一个模型输出，请从准确性、完整性、推理是否支撑结论三方面评价，"
        "先分析后打分（1-{scale}）。\n\n"
        "问题：{question}\n输出：{answer}",
        "评分标准：结论正确 2 分，方法合理 2 分，表述清楚 1 分。\n题目：{question}\n作答："
        "{answer}\n请逐项给分并说明理由。",
        "帮我判一下这个答案对不对，给个 1~{scale} 的分，理由要写清楚：\n问：{question}\n答：{answer}",
    ],
    "es": [
        "Corrige la siguiente respuesta como lo haría un profesor.\nPregunta: {question}\nRespuesta: "
        "{answer}\n"
        "Analiza cada paso y termina con 'Nota: N' (1-{scale}).",
        "Evalúa la salida del modelo en exactitud, completitud y coherencia del razonamiento. "
        "Primero justifica, luego puntúa de 1 a {scale}.\n\n[ENUNCIADO]\n{question}\n[SALIDA]\n{answer}",
        "Criterios: resultado correcto 2 pts, método válido 2 pts, claridad 1 pt.\n"
        "Tarea: {question}\nEntrega: {answer}\nPuntúa criterio por criterio.",
        "¿esta respuesta está bien? dame nota del 1 al {scale} y por qué\n\nP: {question}\nR: {answer}",
    ],
    "ru": [
        "Оцени ответ студента как проверяющий.\nВопрос: {question}\nОтвет: {answer}\n"
        "Разбери каждый шаг и заверши строкой «Оценка: N» (1-{scale}).",
        "Ниже задача и ответ модели. Оцени точность, полноту и то, подтверждает ли рассуждение вывод. "
        "Сначала анализ, потом балл от 1 до {scale}.\n\n[ЗАДАЧА]\n{question}\n[ОТВЕТ]\n{answer}",
        "Критерии: верный итог 2 балла, корректный метод 2 балла, ясность 1 балл.\n"
        "Задание: {question}\nРешение: {answer}\nОцени по каждому критерию.",
        "проверь плз, правильно или нет, и поставь балл 1-{scale} с объяснением\n\nВ: {question}\nО: "
        "{answer}",
    ],
    "de": [
        "Bewerte die folgende Antwort wie ein Korrektor.\nFrage: {question}\nAntwort: {answer}\n"
        "Prüfe jeden Schritt und schließe mit 'Punkte: N' (1-{scale}).",
        "Beurteile die Modellausgabe nach Richtigkeit, Vollständigkeit und Schlüssigkeit. "
        "Erst begründen, dann eine Zahl von 1 bis {scale}.\n\n[AUFGABE]\n{question}\n[AUSGABE]\n{answer}",
        "Raster: korrektes Ergebnis 2 P., gültiger Weg 2 P., Darstellung 1 P.\n"
        "Aufgabe: {question}\nAbgabe: {answer}\nBitte je Kriterium bewerten.",
        "stimmt das so? bitte Note 1-{scale} mit Begründung\n\nF: {question}\nA: {answer}",
    ],
    "fr": [
        "Corrige cette réponse comme un examinateur.\nQuestion : {question}\nRéponse : {answer}\n"
        "Analyse chaque étape et termine par « Note : N » (1-{scale}).",
        "Évalue la sortie du modèle : exactitude, complétude, cohérence du raisonnement. "
        "Justifie d'abord, puis note de 1 à {scale}.\n\n[ÉNONCÉ]\n{question}\n[SORTIE]\n{answer}",
        "Barème : résultat juste 2 pts, méthode valable 2 pts, clarté 1 pt.\n"
        "Énoncé : {question}\nCopie : {answer}\nNote critère par critère.",
        "c'est juste ou pas ? mets une note de 1 à {scale} et explique\n\nQ : {question}\nR : {answer}",
    ],
    "ja": [
        "次の解答を採点者として評価してください。\n問題：{question}\n解答：{answer}\n"
        "各ステップを確認し、最後に「点数：N」（1〜{scale}）と書いてください。",
        "以下の問題とモデル出力について、正確さ・網羅性・推論の妥当性を評価し、理由を述べてから 1〜{scale} "
        "で採点してください。\n\n"
        "【問題】\n{question}\n【出力】\n{answer}",
        "採点基準：答えが正しい 2点、方法が妥当 2点、説明が明確 1点。\n問題：{question}\n提出："
        "{answer}\n基準ごとに採点してください。",
        "この答え合ってますか？1〜{scale}で点数と理由をください\n\nQ：{question}\nA：{answer}",
    ],
    "ko": [
        "다음 답안을 채점자로서 평가해 주세요.\n문제: {question}\n답안: {answer}\n"
        "각 단계를 검토하고 마지막 줄에 '점수: N'(1-{scale})을 적어 주세요.",
        "아래 문제와 모델 출력을 정확성, 완전성, 추론의 타당성 기준으로 평가하세요. 근거를 먼저 쓰고 "
        "1~{scale}점을 주세요.\n\n"
        "[문제]\n{question}\n[출력]\n{answer}",
        "기준: 정답 2점, 풀이 방법 2점, 표현 1점.\n문제: {question}\n제출: {answer}\n항목별로 채점해 주세요.",
        "이 답 맞는지 봐주고 1~{scale}점으로 매겨줘, 이유도\n\nQ: {question}\nA: {answer}",
    ],
    "pt": [
        "Corrija a resposta abaixo como um avaliador.\nPergunta: {question}\nResposta: {answer}\n"
        "Analise cada passo e termine com 'Nota: N' (1-{scale}).",
        "Avalie a saída do modelo quanto a exatidão, completude e coerência do raciocínio. "
        "Justifique antes e depois dê uma nota de 1 a {scale}.\n\n[ENUNCIADO]\n{question}\n[SAÍDA]\n{answer}",
        "Critérios: resultado certo 2 pts, método válido 2 pts, clareza 1 pt.\n"
        "Tarefa: {question}\nEntrega: {answer}\nPontue critério a critério.",
        "essa resposta tá certa? dá uma nota de 1 a {scale} e explica\n\nP: {question}\nR: {answer}",
    ],
}

# --- a candidate answer the judge is shown (stubs filled with numbers)
CANDIDATE: dict[str, list[str]] = {
    "en": [
        "We add the two quantities and get {n}. So the answer is {n}.",
        "First compute the total, then subtract what was used; that leaves {n}.",
        "By symmetry both cases are equal, hence the result is {n}.",
        "I think it's {n} because the rate stays constant the whole time.",
        "Setting up the equation gives x = {n}, which checks out when substituted back.",
        "The correct option is the one equal to {n}; the others ignore the second condition.",
    ],
    "zh": [
        "先求总数，再减去用掉的部分，结果是 {n}。",
        "列方程解得 x = {n}，代回验证成立。",
        "两种情况对称，所以答案是 {n}。",
        "我觉得是 {n}，因为速度一直不变。",
    ],
    "es": [
        "Sumando ambas cantidades sale {n}, así que la respuesta es {n}.",
        "Planteando la ecuación queda x = {n}, y al sustituir se cumple.",
        "Creo que es {n} porque la tasa no cambia.",
        "Por simetría los dos casos son iguales: {n}.",
    ],
    "ru": [
        "Складываем обе величины и получаем {n}. Ответ: {n}.",
        "Составив уравнение, находим x = {n}; подстановка подтверждает.",
        "Думаю, {n}, потому что скорость не меняется.",
        "По симметрии оба случая равны, значит {n}.",
    ],
    "de": [
        "Beide Größen addiert ergibt {n}, also ist die Antwort {n}.",
        "Aus der Gleichung folgt x = {n}, die Probe stimmt.",
        "Ich denke {n}, weil die Rate konstant bleibt.",
        "Aus Symmetriegründen sind beide Fälle gleich: {n}.",
    ],
    "fr": [
        "En additionnant les deux quantités on obtient {n}, donc la réponse est {n}.",
        "L'équation donne x = {n}, et la vérification fonctionne.",
        "Je pense que c'est {n} car le taux reste constant.",
        "Par symétrie les deux cas sont égaux : {n}.",
    ],
    "ja": [
        "二つの量を足すと {n} になるので、答えは {n} です。",
        "方程式を立てると x = {n}、代入して確認できます。",
        "速さが一定なので {n} だと思います。",
        "対称性から両方の場合は等しく、{n} です。",
    ],
    "ko": [
        "두 양을 더하면 {n}이므로 답은 {n}입니다.",
        "방정식을 세우면 x = {n}이고 대입해 보면 맞습니다.",
        "속도가 일정하니까 {n}인 것 같아요.",
        "대칭성에 의해 두 경우가 같으므로 {n}.",
    ],
    "pt": [
        "Somando as duas quantidades dá {n}, então a resposta é {n}.",
        "Montando a equação, x = {n}, e a verificação confere.",
        "Acho que é {n} porque a taxa não muda.",
        "Por simetria os dois casos são iguais: {n}.",
    ],
}

# --- competitive programming: explained solution, then the follow-ups
CODE_EXPLAIN: dict[str, list[str]] = {
    "en": [
        "{task}\n\nI got WA on test 3 with a greedy. What's the intended idea? Explain it, then give clean "
        "C++.",
        "{task}\n\nCan you explain the key observation and the complexity, then write a Python solution?",
        "Practising for the regional. Here's the statement:\n{task}\nWalk me through how you'd think about "
        "it from scratch.",
        "{task}\n\nexplain like an editorial: observation -> algorithm -> proof sketch -> code",
        "{task}\n\nMy O(n^2) times out. How do I get it down? Full reasoning please, code at the end.",
        "Finish this function and explain every design decision (edge cases, complexity):\n\n{task}",
        "{task}\n\nI'd like the solution in Rust with comments explaining why it's correct.",
    ],
    "zh": [
        "{task}\n\n我用贪心在第三个点 WA 了，正解是什么思路？先讲清楚再给 C++ 代码。",
        "{task}\n\n请像题解那样写：关键观察、算法、正确性简证、复杂度、代码。",
        "补全下面的函数，并解释每个细节（边界情况、复杂度）：\n\n{task}",
        "{task}\n\n我的 O(n^2) 超时了，怎么优化？请详细说明思路。",
    ],
    "ru": [
        "{task}\n\nЖадность падает на третьем тесте. Какая тут идея? Объясни и дай код на C++.",
        "{task}\n\nРаспиши как разбор: наблюдение, алгоритм, доказательство, асимптотика, код.",
        "Допиши функцию и объясни каждое решение (крайние случаи, сложность):\n\n{task}",
        "{task}\n\nМоё решение за O(n^2) не проходит по времени. Как ускорить? Подробно, пожалуйста.",
    ],
    "ko": [
        "{task}\n\n그리디로 풀었는데 3번 테스트에서 틀렸어요. 정해가 뭔지 설명하고 C++ 코드 부탁해요.",
        "{task}\n\n에디토리얼처럼 써 주세요: 핵심 관찰, 알고리즘, 정당성, 복잡도, 코드.",
        "아래 함수를 완성하고 각 결정(경계 조건, 복잡도)을 설명해 주세요:\n\n{task}",
        "{task}\n\nO(n^2)이 시간 초과 나요. 어떻게 줄이죠? 자세히 설명해 주세요.",
    ],
    "ja": [
        "{task}\n\n貪欲法でテスト3がWAになりました。想定解の考え方を説明してからC++で書いてください。",
        "{task}\n\n解説記事のように、観察・アルゴリズム・正当性・計算量・コードの順でお願いします。",
        "次の関数を完成させて、境界ケースや計算量も含めて説明してください：\n\n{task}",
        "{task}\n\nO(n^2) だとTLEします。どう改善すればいいか詳しく教えてください。",
    ],
    "pt": [
        "{task}\n\nMeu guloso dá WA no teste 3. Qual é a ideia certa? Explica e manda o código em C++.",
        "{task}\n\nEscreve como um editorial: observação, algoritmo, prova, complexidade, código.",
        "Completa esta função e explica cada decisão (casos de borda, complexidade):\n\n{task}",
        "{task}\n\nMinha solução O(n^2) estoura o tempo. Como otimizar? Explica em detalhe.",
    ],
    "es": [
        "{task}\n\nMi voraz falla en el test 3. ¿Cuál es la idea buena? Explícala y pasa el código en C++.",
        "{task}\n\nEscríbelo como un editorial: observación, algoritmo, prueba, complejidad, código.",
        "Completa esta función y justifica cada decisión (casos borde, complejidad):\n\n{task}",
        "{task}\n\nMi O(n^2) da TLE. ¿Cómo lo bajo? Con todo el razonamiento, por favor.",
    ],
}

# --- follow-up turns asking for more reasoning on the same problem
DEEPEN: dict[str, list[str]] = {
    "en": [
        "ok that works. is there a completely different way to get there?",
        "Why is step 2 allowed? It feels like you assumed what we wanted to prove.",
        "Can you redo it but check each line as you go, I'm getting a different number",
        "nice. now prove the greedy choice is actually optimal",
        "What would change if the constraint were 10^9 instead?",
        "Could you write the same argument as a formal proof, lemma by lemma?",
        "hmm, I don't follow the jump in the middle. slower?",
        "Give me a second solution using a different technique and compare the two.",
        "Where would a typical student go wrong on this one?",
        "Now generalise it to n instead of the specific numbers.",
    ],
    "zh": [
        "明白了。还有完全不同的解法吗？",
        "第二步为什么可以这样做？感觉有点循环论证。",
        "能再算一遍并逐行检查吗？我算出来不一样。",
        "不错，那再证明一下贪心选择为什么最优。",
        "如果数据范围变成 10^9 要怎么改？",
        "中间那一步跳得太快了，能慢一点讲吗？",
    ],
    "es": [
        "vale, ¿hay otra forma totalmente distinta de resolverlo?",
        "¿Por qué se puede hacer el paso 2? Parece que asumes lo que queremos probar.",
        "¿Lo repites comprobando cada línea? A mí me sale otro número.",
        "¿Y si la restricción fuera 10^9?",
        "No entiendo el salto del medio, ¿más despacio?",
    ],
    "ru": [
        "ок, понял. а есть совсем другой способ?",
        "Почему на втором шаге так можно? Похоже, мы предполагаем то, что доказываем.",
        "Пересчитай, пожалуйста, проверяя каждую строку, у меня выходит иначе.",
        "А если ограничение будет 10^9?",
        "Не понял переход в середине, можно медленнее?",
    ],
    "de": [
        "ok, passt. Gibt es einen ganz anderen Weg dahin?",
        "Warum darf man Schritt 2 so machen? Wirkt wie ein Zirkelschluss.",
        "Kannst du es nochmal rechnen und jede Zeile prüfen? Ich komme auf was anderes.",
        "Was ändert sich, wenn die Grenze 10^9 ist?",
        "Den Sprung in der Mitte versteh ich nicht, langsamer bitte?",
    ],
    "fr": [
        "ok ça marche. il y a une façon complètement différente d'y arriver ?",
        "Pourquoi l'étape 2 est-elle permise ? On dirait qu'on suppose ce qu'on veut montrer.",
        "Tu peux refaire en vérifiant chaque ligne ? Je trouve autre chose.",
        "Et si la contrainte passait à 10^9 ?",
        "Je ne suis pas le saut au milieu, plus lentement ?",
    ],
    "ja": [
        "なるほど。全く別の解き方はありますか？",
        "ステップ2はなぜ許されるんですか？示したいことを仮定しているように見えます。",
        "一行ずつ確認しながらもう一度解いてもらえますか？自分の答えと合いません。",
        "制約が 10^9 だったらどう変わりますか？",
        "途中の飛躍がわからないので、もう少しゆっくりお願いします。",
    ],
    "ko": [
        "오케이. 완전히 다른 풀이도 있을까요?",
        "2단계는 왜 가능한 거죠? 증명하려는 걸 가정한 것 같아요.",
        "한 줄씩 확인하면서 다시 풀어 줄래요? 저는 다른 값이 나와요.",
        "제약이 10^9이면 뭐가 달라지나요?",
        "중간에 넘어가는 부분이 이해가 안 돼요. 천천히요?",
    ],
    "pt": [
        "beleza. tem um jeito completamente diferente de chegar lá?",
        "Por que o passo 2 é permitido? Parece que assumimos o que queremos provar.",
        "Refaz conferindo cada linha? Aqui deu outro número.",
        "E se o limite fosse 10^9?",
    ],
    "hi": [
        "theek hai. koi bilkul alag tarika bhi hai kya?",
        "दूसरा स्टेप क्यों सही है? ऐसा लगता है हमने वही मान लिया जो साबित करना है।",
        "har line check karte hue dobara karo na, mera answer alag aa raha hai",
        "बीच वाला स्टेप समझ नहीं आया, थोड़ा धीरे समझाइए?",
    ],
    "ar": [
        "تمام. هل توجد طريقة مختلفة تماماً للوصول إلى النتيجة؟",
        "لماذا الخطوة الثانية مسموحة؟ يبدو أننا افترضنا ما نريد إثباته.",
        "هل يمكنك إعادة الحل مع التحقق من كل سطر؟ أحصل على رقم مختلف.",
        "لم أفهم القفزة في المنتصف، ببطء أكثر من فضلك؟",
    ],
}

# --- teachers: worked solutions and marking schemes
TEACHER: dict[str, list[str]] = {
    "en": [
        "I'm writing the answer key for a Year {n} homework sheet. For this question give a model solution "
        "a student could follow, then a mark scheme (method marks and accuracy marks).\n\n{task}",
        "{task}\n\nPlease produce a fully worked solution plus a short list of the common mistakes I should "
        "look out for when marking.",
        "Need a worked example for tomorrow's lesson on {topic}. Use this problem and explain each step at "
        "the level of a {n}th grader:\n{task}",
        "Make me a marking guide for this: what earns partial credit, what earns full credit.\n{task}",
        "{task}\n\nWrite the solution the way I'd put it on the board, with the reasoning spelled out.",
    ],
    "zh": [
        "我在准备作业答案。请给出这道题的规范解答，并附评分细则（步骤分、结果分）。\n\n{task}",
        "{task}\n\n请写一份完整的解题过程，再列出批改时要注意的常见错误。",
        "明天讲{topic}，用这道题做例题，请按初中生能懂的方式逐步讲解：\n{task}",
        "帮我出一份这道题的评分标准：哪些步骤给部分分，怎样算满分。\n{task}",
    ],
    "es": [
        "Estoy preparando el solucionario de la tarea. Da una solución modelo y una rúbrica de corrección."
        "\n\n{task}",
        "{task}\n\nEscribe la resolución completa y los errores típicos que debo vigilar al corregir.",
        "Necesito un ejemplo resuelto para la clase de {topic}, explicado para alumnos de {n}º:\n{task}",
        "Hazme una guía de corrección: qué da puntos parciales y qué da la nota completa.\n{task}",
    ],
    "de": [
        "Ich erstelle den Erwartungshorizont. Bitte Musterlösung und Bewertungsschema (Teilpunkte)."
        "\n\n{task}",
        "{task}\n\nVollständige Lösung plus die typischen Fehler, auf die ich beim Korrigieren achten "
        "sollte.",
        "Brauche ein Beispiel für die Stunde zu {topic}, erklärt für Klasse {n}:\n{task}",
        "Erstelle mir einen Korrekturleitfaden: wofür gibt es Teilpunkte, wofür volle Punktzahl?\n{task}",
    ],
    "fr": [
        "Je rédige le corrigé du devoir. Donne une solution modèle et un barème détaillé.\n\n{task}",
        "{task}\n\nRédige la correction complète et les erreurs fréquentes à surveiller.",
        "J'ai besoin d'un exemple corrigé pour le cours sur {topic}, niveau {n}e :\n{task}",
        "Fais-moi une grille de correction : points partiels et points complets.\n{task}",
    ],
    "pt": [
        "Estou montando o gabarito. Dê uma resolução modelo e os critérios de correção.\n\n{task}",
        "{task}\n\nEscreva a solução completa e os erros comuns que devo observar ao corrigir.",
        "Preciso de um exemplo resolvido para a aula de {topic}, para o {n}º ano:\n{task}",
        "Faça um guia de correção: o que vale pontuação parcial e o que vale nota cheia.\n{task}",
    ],
    "ja": [
        "宿題の解答を作っています。模範解答と採点基準（部分点）をお願いします。\n\n{task}",
        "{task}\n\n詳しい解答と、採点時に気をつけるべきよくある間違いを挙げてください。",
        "明日の{topic}の授業で使う例題です。中学生にわかるように一つずつ説明してください：\n{task}",
        "採点ガイドを作ってください。部分点の基準と満点の基準を。\n{task}",
    ],
    "ar": [
        "أُعدّ نموذج الإجابة للواجب. أعطني حلاً نموذجياً وسلّم تصحيح بالدرجات الجزئية.\n\n{task}",
        "{task}\n\nاكتب الحل كاملاً مع الأخطاء الشائعة التي يجب أن أنتبه لها عند التصحيح.",
        "أحتاج مثالاً محلولاً لدرس {topic} للصف {n}، مشروحاً خطوة بخطوة:\n{task}",
    ],
    "hi": [
        "मैं होमवर्क की उत्तर-कुंजी बना रहा हूँ। इस प्रश्न का आदर्श हल और अंक-योजना दीजिए।\n\n{task}",
        "{task}\n\nपूरा हल लिखिए और जाँचते समय किन आम गलतियों पर ध्यान दूँ, वह भी बताइए।",
        "कक्षा {n} के लिए {topic} का एक हल किया हुआ उदाहरण चाहिए:\n{task}",
    ],
    "ko": [
        "숙제 답안지를 만들고 있어요. 모범 풀이와 채점 기준(부분 점수)을 주세요.\n\n{task}",
        "{task}\n\n전체 풀이와 채점할 때 주의할 흔한 실수를 정리해 주세요.",
        "{topic} 수업에 쓸 예제예요. {n}학년 수준으로 단계별로 설명해 주세요:\n{task}",
    ],
    "ru": [
        "Готовлю ключи к домашке. Дай образцовое решение и критерии оценивания.\n\n{task}",
        "{task}\n\nНапиши полное решение и типичные ошибки, на которые смотреть при проверке.",
        "Нужен разобранный пример к уроку по теме «{topic}», для {n} класса:\n{task}",
    ],
}

TOPICS: dict[str, list[str]] = {
    "en": ["ratios", "linear equations", "probability", "simultaneous equations", "percentages", "geometry"],
    "zh": ["比例", "一元一次方程", "概率", "方程组", "百分数", "几何"],
    "es": ["proporciones", "ecuaciones lineales", "probabilidad", "sistemas de ecuaciones"],
    "de": ["Dreisatz", "lineare Gleichungen", "Wahrscheinlichkeit", "Prozentrechnung"],
    "fr": ["proportionnalité", "équations du premier degré", "probabilités", "pourcentages"],
    "pt": ["razão e proporção", "equações do 1º grau", "probabilidade", "porcentagem"],
    "ja": ["比と比例", "一次方程式", "確率", "連立方程式"],
    "ar": ["النسبة والتناسب", "المعادلات الخطية", "الاحتمالات", "النسب المئوية"],
    "hi": ["अनुपात", "रैखिक समीकरण", "प्रायिकता", "प्रतिशत"],
    "ko": ["비례", "일차방정식", "확률", "연립방정식"],
    "ru": ["пропорции", "линейные уравнения", "вероятность", "проценты"],
}

# --- a learner pasting a problem (often an English one) and asking in their own language
LEARNER: dict[str, list[str]] = {
    "en": [
        "can someone explain this one, our teacher went too fast\n\n{task}",
        "{task}\n\nI keep getting it wrong. where's my thinking off?",
        "Exam on friday, this type always trips me up:\n{task}",
        "{task}\n\nexplain simply pls, I'm not great at maths",
    ],
    "zh": [
        "老师讲太快了，这题能再给我讲一遍吗？\n\n{task}",
        "{task}\n\n我总是做错，思路哪里出问题了？",
        "周五考试，这类题老是不会：\n{task}",
        "{task}\n\n请讲得简单一点，我数学不太好",
    ],
    "es": [
        "el profe fue muy rápido, ¿me explicas este?\n\n{task}",
        "{task}\n\nsiempre me sale mal, ¿dónde me equivoco?",
        "Tengo examen el viernes y este tipo me cuesta:\n{task}",
        "{task}\n\nexplícalo fácil porfa, no soy buena en mate",
    ],
    "ru": [
        "учитель объяснил слишком быстро, разбери эту задачу?\n\n{task}",
        "{task}\n\nу меня всё время не сходится, где ошибка в рассуждении?",
        "В пятницу контрольная, такие задачи мне не даются:\n{task}",
        "{task}\n\nобъясни попроще, я не очень в математике",
    ],
    "de": [
        "unser Lehrer war zu schnell, kannst du die erklären?\n\n{task}",
        "{task}\n\nIch komm immer auf was Falsches. Wo hakt mein Denken?",
        "Freitag ist Klausur, solche Aufgaben kann ich nie:\n{task}",
        "{task}\n\nbitte ganz einfach erklären, Mathe ist nicht so meins",
    ],
    "fr": [
        "le prof est allé trop vite, tu peux m'expliquer celui-là ?\n\n{task}",
        "{task}\n\nje me trompe à chaque fois, où est l'erreur dans ma façon de penser ?",
        "Contrôle vendredi, ce genre d'exo me bloque toujours :\n{task}",
        "{task}\n\nexplique simplement stp, je suis pas très fort en maths",
    ],
    "ja": [
        "先生の説明が早すぎてわからなかったので、これを教えてください\n\n{task}",
        "{task}\n\nいつも間違えてしまいます。考え方のどこがおかしいですか？",
        "金曜日テストなんですが、このタイプが苦手です：\n{task}",
        "{task}\n\n数学が苦手なので、やさしく説明してほしいです",
    ],
    "pt": [
        "o professor foi rápido demais, explica essa pra mim?\n\n{task}",
        "{task}\n\nsempre erro essa, onde meu raciocínio tá errado?",
        "Prova na sexta e esse tipo sempre me pega:\n{task}",
        "{task}\n\nexplica de um jeito simples, sou fraco em matemática",
    ],
    "hi": [
        "sir ne bahut jaldi padhaya, ye sawal samjha do please\n\n{task}",
        "{task}\n\nमेरा उत्तर हर बार गलत आता है, मेरी सोच में गलती कहाँ है?",
        "शुक्रवार को परीक्षा है, ऐसे सवाल मुझसे नहीं बनते:\n{task}",
        "{task}\n\nआसान भाषा में समझाइए, मैथ्स में कमजोर हूँ",
    ],
    "ar": [
        "المعلم شرح بسرعة، هل يمكنك شرح هذه المسألة؟\n\n{task}",
        "{task}\n\nأخطئ فيها كل مرة، أين الخلل في تفكيري؟",
        "عندي امتحان يوم الجمعة وهذا النوع يصعب علي:\n{task}",
        "{task}\n\nاشرحها ببساطة لو سمحت، لست قوياً في الرياضيات",
    ],
    "ko": [
        "선생님이 너무 빨리 설명하셔서요, 이 문제 좀 설명해 주세요\n\n{task}",
        "{task}\n\n계속 틀려요. 제 생각 어디가 잘못된 걸까요?",
        "금요일 시험인데 이런 유형을 항상 못 풀어요:\n{task}",
        "{task}\n\n수학을 잘 못해서 쉽게 설명해 주세요",
    ],
}

# --- release-day reviewers: puzzles written for this set
PUZZLES: dict[str, list[str]] = {
    "en": [
        "A snail climbs {n} cm up a well wall each day and slides back 2 cm each night. The well is 30 cm "
        "deep. On which day does it get out? Explain.",
        "I have a 3-litre and a 5-litre jug and a tap. How do I measure exactly 4 litres? Fewest pours.",
        "Three boxes are labelled apples, oranges, mixed and every label is wrong. You may draw one fruit "
        "from one box. Which box, and why does that settle everything?",
        "If it takes {n} machines {n} minutes to make {n} widgets, how long do 100 machines need for 100 "
        "widgets? Reason it out, don't pattern-match.",
        "Alice says Bob lies. Bob says Carol lies. Carol says both Alice and Bob lie. Who is telling the "
        "truth? Show the case analysis.",
        "How many times a day do the hour and minute hands of a clock overlap? Derive it instead of "
        "quoting it.",
        "A bat and a ball together cost $1.{n}0 and the bat costs $1 more than the ball. Price of the ball? "
        "Then tell me why people get this wrong.",
        "Count the letters r in 'strawberry raspberry'. Then explain how you counted.",
        "You flip a fair coin until you get two heads in a row. Expected number of flips? Full derivation.",
        "Is 2^{n} + 1 prime? Check it properly and explain the method.",
        "A rope around the equator is lengthened by 1 metre and lifted evenly. Could a cat crawl under? "
        "Work out the gap.",
        "Which is larger, 99^100 or 100^99? No calculator, give the argument.",
    ],
    "zh": [
        "一只蜗牛每天白天爬 {n} 厘米，晚上滑下 2 厘米，井深 30 厘米，第几天能爬出来？请说明理由。",
        "有 3 升和 5 升两个桶，怎样量出正好 4 升水？要求步骤最少。",
        "甲说乙在说谎，乙说丙在说谎，丙说甲和乙都在说谎。谁说的是真话？请分情况讨论。",
        "钟表的时针和分针一天重合几次？请推导，不要直接背答案。",
        "99^100 和 100^99 哪个大？不用计算器，给出论证。",
    ],
    "ja": [
        "カタツムリが昼に {n} cm 登り、夜に 2 cm 滑り落ちます。井戸の深さは 30 cm。何日目に出られますか？"
        "理由も。",
        "3リットルと5リットルの容器で、ちょうど4リットルを量るには？手順はできるだけ少なく。",
        "時計の長針と短針は一日に何回重なりますか？暗記ではなく導出してください。",
        "99^100 と 100^99 はどちらが大きい？電卓なしで論証してください。",
    ],
    "de": [
        "Eine Schnecke klettert tagsüber {n} cm und rutscht nachts 2 cm ab. Der Brunnen ist 30 cm tief. "
        "An welchem Tag ist sie draußen? Mit Begründung.",
        "Wie oft am Tag überdecken sich Stunden- und Minutenzeiger? Bitte herleiten, nicht auswendig.",
        "Was ist größer, 99^100 oder 100^99? Ohne Taschenrechner, mit Argument.",
    ],
    "ru": [
        "Улитка за день поднимается на {n} см, а за ночь сползает на 2 см. Глубина колодца 30 см. "
        "На какой день она выберется? Объясни.",
        "Сколько раз за сутки совпадают часовая и минутная стрелки? Выведи, а не вспоминай.",
        "Что больше: 99^100 или 100^99? Без калькулятора, с доказательством.",
    ],
    "ko": [
        "달팽이가 낮에 {n} cm 올라가고 밤에 2 cm 미끄러집니다. 우물 깊이는 30 cm. 며칠째에 나오나요? "
        "이유도요.",
        "시계의 시침과 분침은 하루에 몇 번 겹치나요? 외운 답 말고 유도해 주세요.",
        "99^100 과 100^99 중 어느 쪽이 더 큰가요? 계산기 없이 논증해 주세요.",
    ],
}

REVIEW_ASIDE: dict[str, list[str]] = {
    "en": [
        "puzzle {n} of my set:\n{task}",
        "Testing the new model on my usual puzzle set. {task}",
        "{task}\n\n(the old version got this wrong, curious if you do better)",
        "quick one for my review video: {task}",
        "{task}\nTake your time, I'm comparing reasoning quality not speed.",
    ],
    "zh": [
        "在用我常用的题测新模型：{task}",
        "{task}\n（旧版本做错了，看看你怎么样）",
        "新模型测试 #{n}\n{task}",
    ],
    "ja": ["新モデルをいつもの問題でテスト中です。{task}", "{task}\n（前のバージョンは間違えました）"],
    "de": [
        "Teste das neue Modell mit meinen Standardrätseln. {task}",
        "{task}\n(die alte Version lag daneben)",
    ],
    "ru": ["Гоняю новую модель по своим задачкам. {task}", "{task}\n(старая версия тут ошибалась)"],
    "ko": ["새 모델을 제 단골 문제로 테스트 중이에요. {task}", "{task}\n(예전 버전은 이거 틀렸어요)"],
}

# --- personal fine-tune builders: synthetic data requests
SYNTH: dict[str, list[str]] = {
    "en": [
        "I'm putting together a small dataset to fine-tune a 7B model for my tutoring app. Write {n} new "
        "word problems similar in difficulty to the one below, each with a full worked solution.\n\n{task}",
        "Rewrite this problem with different numbers and context, then solve the new version step by step. "
        "Output as JSON with fields problem, reasoning, answer.\n\n{task}",
        "For a LoRA on my laptop: give {n} question/answer pairs about {topic}, where each answer explains "
        "its reasoning in 3-6 sentences.",
        "Here's a seed example. Produce a variation that tests the same skill, plus a careful solution."
        "\n{task}",
        "generate {n} diverse practice questions on {topic} with step by step answers, plain text, numbered",
    ],
    "zh": [
        "我在给自己的小模型做微调数据。请仿照下面这道题出 {n} 道难度相近的新题，并附完整解答。\n\n{task}",
        "把这道题换个情境和数字改写，再逐步解出新题。用 JSON 输出，字段为 problem、reasoning、answer。"
        "\n\n{task}",
        "请生成 {n} 道关于{topic}的练习题，每题附带分步解答。",
    ],
    "es": [
        "Estoy armando un dataset pequeño para ajustar un modelo. Escribe {n} problemas parecidos a este, "
        "con solución desarrollada.\n\n{task}",
        "Reescribe este problema con otros números y resuélvelo paso a paso. Salida en JSON.\n\n{task}",
    ],
    "pt": [
        "Estou montando um dataset pequeno para ajustar um modelo. Escreva {n} problemas parecidos com este, "
        "com resolução completa.\n\n{task}",
        "Reescreva este problema com outros números e resolva passo a passo. Saída em JSON.\n\n{task}",
    ],
    "de": [
        "Ich baue einen kleinen Datensatz für ein Fine-Tuning. Schreibe {n} ähnliche Aufgaben mit "
        "ausführlicher Lösung.\n\n{task}",
        "Formuliere die Aufgabe mit anderen Zahlen um und löse die neue Version schrittweise. "
        "Ausgabe als JSON.\n\n{task}",
    ],
}

# --- system prompts
SYS_EVAL: dict[str, list[str]] = {
    "en": [
        "You are being evaluated on a reasoning benchmark. Think carefully and answer in the requested "
        "format.",
        "Answer each item independently. Reason before answering.",
        "You are a careful problem solver. Show your work.",
        "Respond with a derivation and a clearly marked final answer. Do not refuse.",
        "You are a helpful assistant.",
        "Solve the problem. Keep the final answer on its own line.",
    ],
    "zh": ["你是一个严谨的解题助手，请写出推理过程。", "请独立回答每道题，先推理后作答。"],
    "ja": ["あなたは慎重な問題解決者です。途中式を示してください。", "各問題に独立に答えてください。"],
}
SYS_JUDGE: dict[str, list[str]] = {
    "en": [
        "You are an impartial grader. Be strict, consistent and explain every deduction.",
        "You are an expert evaluator of model outputs. Justify your rating before giving it.",
        "Act as a meticulous teaching assistant marking exam scripts.",
        "You assess answers for correctness first and style second.",
    ],
    "zh": ["你是公正的评分员，请严格、一致，并解释每一处扣分。", "你是模型输出的专家评审，先给理由再打分。"],
    "es": ["Eres un evaluador imparcial. Sé estricto y justifica cada descuento.", "Actúa como corrector."],
    "de": ["Du bist ein unparteiischer Korrektor. Begründe jeden Punktabzug.", "Bewerte streng."],
    "ko": ["당신은 공정한 채점자입니다. 감점마다 이유를 설명하세요.", "엄격하고 일관되게 평가하세요."],
}
SYS_TUTOR: dict[str, list[str]] = {
    "en": [
        "You are a patient maths tutor. Explain, don't just answer.",
        "You coach competitive programmers. Prefer editorial-style explanations with proofs.",
        "Be concise but never skip a reasoning step.",
        "The user is a high-school olympiad student.",
    ],
    "zh": ["你是一位耐心的数学辅导老师，要讲解而不是只给答案。", "用户是准备竞赛的高中生。"],
    "ru": [
        "Ты терпеливый репетитор по математике. Объясняй, а не просто отвечай.",
        "Пользователь — олимпиадник.",
    ],
    "ja": ["あなたは丁寧な数学の家庭教師です。", "ユーザーは数学オリンピックを目指す高校生です。"],
    "ko": ["당신은 친절한 수학 과외 선생님입니다.", "사용자는 올림피아드를 준비하는 고등학생입니다."],
    "es": ["Eres un tutor de matemáticas paciente.", "El usuario se prepara para la olimpiada."],
}
SYS_TEACHER: dict[str, list[str]] = {
    "en": [
        "You help a secondary-school teacher prepare materials. Use UK exam conventions.",
        "You assist a teacher. Solutions must be correct and pitched at the stated grade.",
        "Write for students aged 12-16. Clear layout, numbered steps.",
    ],
    "de": ["Du unterstützt eine Lehrkraft bei der Unterrichtsvorbereitung.", "Schreibe für Klasse 8-10."],
    "fr": ["Tu aides un enseignant de collège à préparer ses cours.", "Rédige pour des élèves de 4e."],
    "es": ["Ayudas a una profesora de secundaria a preparar material.", "Escribe para alumnos de ESO."],
    "pt": ["Você ajuda um professor do ensino médio a preparar material.", "Escreva para o 9º ano."],
}
SYS_SYNTH: dict[str, list[str]] = {
    "en": [
        "You generate high-quality training examples. Always include the full reasoning.",
        "Output valid JSON only.",
        "You write practice material with detailed solutions.",
        "Be diverse: vary names, settings and numbers across examples.",
    ],
    "zh": ["你负责生成高质量训练样本，必须包含完整推理。", "只输出合法 JSON。"],
}

# --- what an operator's harness puts in front (campaign scaffolding)
OPERATOR_SYS: dict[str, list[str]] = {
    "en": [
        "You are a world-class expert. Think through the problem exhaustively before answering. "
        "Never abbreviate your reasoning.",
        "Provide a complete, rigorous, self-contained solution. Explain every step in detail.",
        "You are an expert tutor. Give thorough explanations with all intermediate steps.",
        "Reason at length. Consider alternatives, verify your result, then answer.",
        "Answer as a meticulous specialist would: full derivation, verification, final answer.",
        "Think deeply. Detailed reasoning is more important than brevity.",
    ],
    "zh": [
        "你是顶级专家。作答前请充分、详尽地思考，不要省略任何推理。",
        "请给出完整、严谨、自洽的解答，详细解释每一步。",
        "请充分推理，考虑其他方法并验证结果后再作答。",
        "像一位一丝不苟的专家那样作答：完整推导、验证、结论。",
    ],
    "ru": [
        "Ты эксперт мирового уровня. Рассуждай исчерпывающе, не сокращай ход мысли.",
        "Дай полное, строгое решение и подробно объясни каждый шаг.",
        "Рассуждай развёрнуто, проверь результат и только потом отвечай.",
        "Отвечай как дотошный специалист: вывод, проверка, итог.",
    ],
}

# --- follow-ups an operator scripts to squeeze more trace out of one task
SQUEEZE: dict[str, list[str]] = {
    "en": [
        "Now verify that solution independently, line by line, and fix anything wrong.",
        "Give a second, different method for the same problem, fully worked.",
        "Explain the reasoning again as if to a beginner, without skipping anything.",
        "What are the most likely mistakes on this problem? Work through each one.",
        "Summarise the key insight, then restate the full solution more rigorously.",
        "Critique your previous answer and produce an improved version.",
    ],
    "zh": [
        "请独立逐行验证上面的解答，有错就改正。",
        "用另一种完全不同的方法完整解一遍。",
        "请像给初学者讲一样再解释一遍，不要跳步。",
        "指出这题最容易出错的地方，并逐一分析。",
    ],
    "ru": [
        "Теперь независимо проверь решение построчно и исправь ошибки.",
        "Дай второй, другой способ решения, полностью.",
        "Объясни ещё раз для новичка, ничего не пропуская.",
        "Раскритикуй свой ответ и дай улучшенную версию.",
    ],
}

# --- client names for user agents: personal scripts, notebooks, small tools
CLIENTS: dict[str, list[str]] = {
    "en": [
        "sweepbench",
        "cot-harness",
        "evalrig",
        "mathprobe",
        "quizloop",
        "gradebot",
        "rubricrun",
        "judgely",
        "thesis-evals",
        "lab-runner",
        "pairjudge",
        "olymp-helper",
        "cf-coach",
        "lessonkit",
        "worksheet-gen",
        "tinytune-data",
        "synthpack",
        "nbclient",
        "puzzlebox",
        "probebench",
    ],
}

LANG_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "es": "Spanish",
    "ru": "Russian",
    "de": "German",
    "fr": "French",
    "ja": "Japanese",
    "pt": "Portuguese",
    "hi": "Hindi",
    "ar": "Arabic",
    "ko": "Korean",
}

# --- fallback tasks, written here, used only when a corpus has no rows for this half
FALLBACK_TASKS: dict[str, list[str]] = {
    "math": [
        "A tank fills in 6 hours with pipe A and 9 hours with pipe B. Pipe C empties it in 12 hours. "
        "With all three open, how long until it is full?",
        "The sum of three consecutive odd integers is 159. What is the largest?",
        "A shop marks a coat up by 40% and then sells it at 25% off. What is the profit as a percentage of "
        "the cost?",
        "How many positive divisors does 7200 have?",
        "Find all real x with |2x - 5| + |x + 1| = 9.",
        "A train leaves at 14:10 going 72 km/h; a second leaves the same station at 14:40 going 96 km/h. "
        "When does the second catch the first?",
        "What is the remainder when 3^200 is divided by 13?",
        "In how many ways can 8 people sit at a round table if two particular people refuse to sit together?",
        "A rectangle has perimeter 46 and diagonal 17. Find its area.",
        "Solve for integers: x^2 - y^2 = 45 with x, y > 0.",
        "The mean of five numbers is 14; removing one leaves a mean of 12. Which number was removed?",
        "A recipe needs 350 g of flour for 14 cookies. How much flour for 40 cookies?",
    ],
    "code": [
        "Given an array of n integers, find the length of the longest contiguous subarray whose sum is "
        "divisible by k. n <= 2*10^5.",
        "def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:\n"
        '    """Merge overlapping closed intervals and return them sorted."""\n',
        "You are given a grid with walls. Find the minimum number of walls to break to get from the top-left "
        "to the bottom-right corner. Grid up to 1000x1000.",
        "def is_valid_bracket_sequence(s: str) -> bool:\n"
        '    """Return True if every bracket in s ((), [], {}) is closed in the right order."""\n',
        "Count pairs (i, j), i < j, with a_i xor a_j having an even number of set bits. n <= 10^5.",
        "A tree with n nodes; answer q queries: distance between u and v. n, q <= 2*10^5.",
    ],
    "exam": [
        "Which of the following is NOT a greenhouse gas?\nA. methane\nB. nitrous oxide\nC. argon\nD. water "
        "vapour",
        "The derivative of ln(x^2 + 1) is\nA. 1/(x^2+1)\nB. 2x/(x^2+1)\nC. 2x ln(x)\nD. x/(x^2+1)",
        "Which organelle is the site of aerobic respiration?\nA. ribosome\nB. mitochondrion\nC. nucleus\n"
        "D. Golgi body",
        "A firm's marginal cost rises while price stays fixed. In the short run it should\nA. raise output\n"
        "B. produce where MC = P\nC. shut down at once\nD. lower its price",
        "The time complexity of building a binary heap from n items is\nA. O(n)\nB. O(n log n)\nC. O(log n)\n"
        "D. O(n^2)",
        "Which treaty ended the Thirty Years' War?\nA. Utrecht\nB. Westphalia\nC. Versailles\nD. Paris",
    ],
    "open": [
        "Explain why the sky looks blue at noon but red at sunset.",
        "What are the trade-offs between a B-tree and an LSM tree for a write-heavy database?",
        "Summarise the main causes of the 2008 financial crisis in a paragraph.",
        "Is it ethical to use AI to write a university admission essay? Argue both sides.",
        "Describe how a vaccine trains the immune system.",
        "Why does ice float?",
    ],
    "zh": [
        "小明买了 3 支笔和 2 本本子共花 26 元，一支笔比一本本子便宜 2 元，一本本子多少钱？",
        "一个数的 3 倍加上 7 等于它的 5 倍减去 9，这个数是多少？",
        "甲乙两地相距 360 千米，两车同时相向而行，速度分别是 70 和 50 千米/时，几小时后相遇？",
        "一个长方形的长是宽的 3 倍，周长是 48 厘米，面积是多少？",
    ],
    "ru": [
        "Поезд прошёл 240 км за 3 часа, а обратно за 4 часа. Какова средняя скорость на всём пути?",
        "Сумма двух чисел 85, а их разность 17. Найдите эти числа.",
        "В классе 30 учеников, 18 занимаются спортом, 12 музыкой, 5 и тем и другим. Сколько ничем?",
        "Найдите наименьшее натуральное число, дающее остаток 1 при делении на 2, 3, 4, 5 и 6.",
    ],
}


def fill(template: str, **values: object) -> str:
    """``template`` with each ``{key}`` replaced (plain replacement: corpus text may hold braces)."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return out


POOLS: dict[str, dict[str, list[str]]] = {
    "stepwise": STEPWISE,
    "harness": HARNESS,
    "judge": JUDGE,
    "candidate": CANDIDATE,
    "code_explain": CODE_EXPLAIN,
    "deepen": DEEPEN,
    "teacher": TEACHER,
    "topics": TOPICS,
    "learner": LEARNER,
    "puzzles": PUZZLES,
    "review_aside": REVIEW_ASIDE,
    "synth": SYNTH,
    "sys_eval": SYS_EVAL,
    "sys_judge": SYS_JUDGE,
    "sys_tutor": SYS_TUTOR,
    "sys_teacher": SYS_TEACHER,
    "sys_synth": SYS_SYNTH,
    "operator_sys": OPERATOR_SYS,
    "squeeze": SQUEEZE,
    "clients": CLIENTS,
    "fallback": FALLBACK_TASKS,
}


def pool_names() -> list[str]:
    """Every pool name."""
    return sorted(POOLS)


def full_pool(name: str, key: str) -> list[str]:
    """All variants of one (pool, language-or-kind) list, both halves (tests only)."""
    return list(POOLS[name][key])


class Phrases3(HalfPhrases):
    """The half of every pool one split may use."""

    def __init__(self, half: int) -> None:
        super().__init__(POOLS, half)
